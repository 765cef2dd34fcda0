/** Package entry point "gatehouse-auth/stores/memory": `createMemoryStores()` (tests, one process). */
export { createMemoryStores, type MemoryStoresOptions } from '../stores/memory/index.ts'
