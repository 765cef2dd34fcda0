import type { Stores } from '../stores/contracts.ts'
import type { Auth } from './auth.ts'
import { AuthError } from './errors.ts'

/**
 * What the package's entry point ("gatehouse-auth", src/entries/wiring.ts) plugs into the core,
 * so the core itself imports no store implementation and no server: the default stores of
 * `createAuth()` without `stores`, and the routes behind `auth.handler`.
 */
export const wiring: {
  openDefaultStores?: (dataDir: string | undefined) => Promise<Stores>
  handle?: (auth: Auth, request: Request) => Promise<Response>
} = {}

export async function openDefaultStores(dataDir: string | undefined): Promise<Stores> {
  if (!wiring.openDefaultStores)
    throw new AuthError('CONFIG_INVALID', {
      message: 'Invalid Gatehouse option "stores": is required (createSqlStores, createMemoryStores, …)',
    })
  return wiring.openDefaultStores(dataDir)
}

export async function handleRequest(auth: Auth, request: Request): Promise<Response> {
  if (!wiring.handle)
    throw new Error('auth.handler needs the package entry point: import from "gatehouse-auth"')
  return wiring.handle(auth, request)
}
