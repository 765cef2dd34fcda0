import { readJsonObject } from '../../body.ts'
import { AuthError } from '../../errors.ts'
import type { ModuleRoute, ModuleRouteInput } from '../../module.ts'
import { signIn } from '../../signin.ts'
import { toPublicUser } from '../../users.ts'
import { readAppRequest } from './app-signin.ts'
import { type OAuthService, oauthProof } from './service.ts'

type ServiceOf = (input: ModuleRouteInput) => OAuthService

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  })

function redirect(location: string, cookies: readonly (string | null)[] = [], status = 302): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
  for (const c of cookies) if (c) headers.append('set-cookie', c)
  return new Response(null, { status, headers })
}

/** A form POST from the profile page: signed in with a session, the synchronizer token checked. */
async function profileForm(input: ModuleRouteInput) {
  const who = input.who
  if (who?.via !== 'session') throw new AuthError('UNAUTHENTICATED')
  const type = input.request.headers.get('content-type') ?? ''
  const form = type.includes('application/x-www-form-urlencoded')
    ? new URLSearchParams(await input.request.text())
    : new URLSearchParams()
  if (!input.auth.verifyCsrfToken(input.ctx, who.session, form.get('csrf_token')))
    throw new AuthError('CSRF_FAILED')
  return who.user
}

function bearerOrSession(input: ModuleRouteInput) {
  const who = input.who
  if (!who || who.via === 'api-key') throw new AuthError('UNAUTHENTICATED')
  return who.user
}

/** The routes of API.md "Sign-in with providers": pages at the root, JSON under /api. */
export function oauthRoutes(service: ServiceOf): ModuleRoute[] {
  return [...pageRoutes(service), ...apiRoutes(service)]
}

/** Start, callback, and the profile's link and unlink forms. */
function pageRoutes(service: ServiceOf): ModuleRoute[] {
  return [
    {
      method: 'GET',
      kind: 'page',
      path: '/auth/oauth/:provider',
      async handle(input) {
        const s = service(input)
        const query = new URL(input.request.url).searchParams
        s.flow(input.params.provider!)
        const app = readAppRequest(query, s.settings.appRedirectUris)
        const started = await s.start(input.params.provider!, input.ctx.cookie, {
          intent: 'signin',
          next: query.get('next'),
          ...(app ? { app } : {}),
        })
        return redirect(started.location, [started.setCookie])
      },
    },
    {
      method: 'GET',
      kind: 'page',
      path: '/auth/oauth/:provider/callback',
      async handle(input) {
        const result = await service(input).callback(
          input.params.provider!,
          new URL(input.request.url),
          input.ctx,
        )
        return redirect(result.location, result.kind === 'session' ? result.cookies : [])
      },
    },
    {
      method: 'POST',
      kind: 'page',
      path: '/profile/providers/:provider/link',
      async handle(input) {
        const s = service(input)
        s.flow(input.params.provider!)
        const user = await profileForm(input)
        const started = await s.start(input.params.provider!, input.ctx.cookie, {
          intent: 'link',
          userId: user.id,
          next: '/profile',
        })
        return redirect(started.location, [started.setCookie], 303)
      },
    },
    {
      method: 'POST',
      kind: 'page',
      path: '/profile/providers/:provider/unlink',
      async handle(input) {
        const user = await profileForm(input)
        await service(input).unlink(user, input.params.provider!, input.ctx)
        return redirect('/profile', [], 303)
      },
    },
  ]
}

/** The JSON routes: the providers, the linked ones, app sign-in's code exchange. */
function apiRoutes(service: ServiceOf): ModuleRoute[] {
  return [
    {
      method: 'GET',
      kind: 'api',
      path: '/auth/providers',
      async handle(input) {
        const flows = [...service(input).flows.values()]
        return json({ providers: flows.map((f) => ({ id: f.spec.id, name: f.spec.name })) })
      },
    },
    {
      method: 'GET',
      kind: 'api',
      path: '/me/providers',
      async handle(input) {
        return json({ providers: await service(input).list(bearerOrSession(input).id) })
      },
    },
    {
      method: 'GET',
      kind: 'api',
      path: '/me/providers/:provider',
      async handle(input) {
        const linked = await service(input).list(bearerOrSession(input).id)
        const one = linked.find((l) => l.provider === input.params.provider)
        if (!one) throw new AuthError('OAUTH_NOT_LINKED')
        return json({ provider: one })
      },
    },
    {
      method: 'DELETE',
      kind: 'api',
      path: '/me/providers/:provider',
      async handle(input) {
        await service(input).unlink(bearerOrSession(input), input.params.provider!, input.ctx)
        return new Response(null, { status: 204 })
      },
    },
    {
      method: 'POST',
      kind: 'api',
      path: '/auth/oauth/token',
      async handle(input) {
        const { auth } = input
        if (!auth.tokens) throw new AuthError('NOT_FOUND')
        const body = await readJsonObject(input.request)
        const userId = await service(input).codes.redeem(body.code, body.code_verifier)
        const user = await auth.stores.users.getUserById(userId)
        if (!user) throw new AuthError('INVALID_GRANT')
        const result = await signIn(auth, oauthProof(user, 'app'), { kind: 'tokens' }, input.ctx)
        if (result.status === 'pending')
          throw new AuthError('FORBIDDEN', { message: 'This sign-in needs another step.' })
        return json({ ...result.tokens, user: toPublicUser(result.user) })
      },
    },
  ]
}
