/** Package entry point "gatehouse-auth/stores/contracts": the store contracts, types only. */
export type * from '../stores/contracts.ts'
