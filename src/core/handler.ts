import type { Auth } from './auth.ts'
import { AuthError, errorResponse } from './errors.ts'

/**
 * `auth.handler`: docs/http-api.md's JSON API under the `basePath` option, for any Fetch-API
 * framework. The routes live with the server's (src/server/embed.ts), loaded on first use so
 * an app that never calls the handler never loads them.
 */
export async function handleRequest(auth: Auth, request: Request): Promise<Response> {
  const { embeddedApp, UNMATCHED } = await import('../server/embed.ts')
  const response = await embeddedApp(auth, auth.options.basePath).fetch(request)
  return response.headers.has(UNMATCHED) ? errorResponse(new AuthError('NOT_FOUND')) : response
}
