/**
 * gatehouse-auth/client — the browser client (README "Browser client"): no dependencies, an
 * ES module for bundlers, and served by the server as `/client.js`.
 */
export type { LoginWithOptions } from '../client/app-sign-in.ts'
export { GatehouseClient } from '../client/client.ts'
export { GatehouseClientError } from '../client/errors.ts'
export { challengeOf, createVerifier } from '../client/pkce.ts'
export type {
  ClientChange,
  ClientOptions,
  ClientProvider,
  ClientUser,
  TokenState,
  TokenStorageAdapter,
  TokenStorageChoice,
} from '../client/types.ts'

import { GatehouseClient } from '../client/client.ts'
import type { ClientOptions } from '../client/types.ts'

/** `createClient({ storage: 'local' })`: one client per server (and storage key) per page. */
export function createClient(options: ClientOptions = {}): GatehouseClient {
  return new GatehouseClient(options)
}
