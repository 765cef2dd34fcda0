/**
 * Package entry point "gatehouse-auth/stores/sql": `createSqlStores({ url })` (SQLite or
 * PostgreSQL). Migrations and URL helpers stay internal (the CLI and the server use them).
 */
export { createSqlStores, type SqlStores, type SqlStoresOptions } from '../stores/sql/index.ts'
