import { memoryFixture } from './helpers/stores.ts'
import { runStoreContract } from './store-contract.ts'

runStoreContract('memory', memoryFixture)
