/** Package entry point "gatehouse/stores/contracts": the store contracts, types only. */
export type * from '../stores/contracts.ts'
