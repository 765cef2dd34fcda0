/**
 * Package entry point "gatehouse-auth/hono": the Hono middleware README.md documents. Only the
 * names listed here are public (test/exports.test.ts checks the exact set).
 */
export {
  authErrorHandler,
  type CredentialKind,
  csrfProtect,
  csrfToken,
  freshTokenRequired,
  gatehouse,
  type HonoAdapterOptions,
  jsonBody,
  login,
  loginGate,
  loginRequired,
  logout,
  permissionRequired,
  roleRequired,
  tokenRequired,
  tokenRoleRequired,
} from '../adapters/hono.ts'
export { type GatehouseRoutesOptions, gatehouseRoutes } from '../adapters/hono-mount.ts'
