/**
 * Package entry point "gatehouse-auth/express": the Express middleware README.md documents
 * (`req.user`, `req.authSession`, `req.identity`, `req.claims` are typed by the adapter's
 * declaration merging). Only the names listed here are public (test/exports.test.ts).
 */
export {
  authErrorHandler,
  csrfProtect,
  csrfToken,
  type ExpressAdapterOptions,
  freshTokenRequired,
  type GatehouseRequestFields,
  gatehouse,
  login,
  loginGate,
  loginRequired,
  logout,
  permissionRequired,
  roleRequired,
  tokenRequired,
  tokenRoleRequired,
} from '../adapters/express.ts'
export { type GatehouseRouterOptions, gatehouseRouter } from '../adapters/express-mount.ts'
