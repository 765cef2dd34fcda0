/** The framework-free decisions both adapters translate. */
import { describe, expect, it } from 'vitest'
import { admit, skipsOriginCheck } from '../src/core/admit.ts'
import type { Authenticated } from '../src/core/auth.ts'
import { contextFromRequest } from '../src/core/context.ts'
import { checkCsrf, csrfExempt, isFormBody } from '../src/core/csrf-guard.ts'
import { AuthError } from '../src/core/errors.ts'
import { checkLogin, checkPermissions, checkRoles, type GuardRequest } from '../src/core/guards.ts'
import type { User } from '../src/stores/contracts.ts'

const user = { id: 'u1', roles: ['editor'], permissions: [] } as unknown as User
const as = (via: Authenticated['via']): Authenticated => ({ user, session: null, via })
const post = (headers: Record<string, string> = {}) =>
  contextFromRequest(new Request('http://localhost:8000/x', { method: 'POST', headers }))

function fakeAuth(who: Authenticated | null | Error, originOk: boolean) {
  return {
    authenticateNow: async () => {
      if (who instanceof Error) throw who
      return who
    },
    passesOriginCheck: () => originOk,
  }
}

describe('admit', () => {
  it('only bearer credentials skip the Origin check', () => {
    expect(skipsOriginCheck(as('token'))).toBe(true)
    expect(skipsOriginCheck(as('api-key'))).toBe(true)
    expect(skipsOriginCheck(as('session'))).toBe(false)
    expect(skipsOriginCheck(null)).toBe(false)
  })

  /** A request carrying the credential the fake auth answers for. */
  const presenting = (who: Authenticated | null) =>
    post(
      who?.via === 'session'
        ? { cookie: 'gh_session=x' }
        : who
          ? { authorization: 'Bearer x' }
          : { cookie: 'theme=dark' },
    )

  it('refuses a cookie session or anonymous request that fails the Origin check', async () => {
    for (const who of [as('session'), null]) {
      const a = await admit(fakeAuth(who, false), presenting(who))
      expect('error' in a && a.error.code).toBe('CSRF_FAILED')
    }
    for (const who of [as('token'), as('api-key')])
      expect(await admit(fakeAuth(who, false), presenting(who))).toEqual({ who })
  })

  it('answers an authentication failure as its AuthError', async () => {
    const a = await admit(fakeAuth(new AuthError('TOKEN_INVALID'), true), post({ authorization: 'Bearer x' }))
    expect('error' in a && a.error.code).toBe('TOKEN_INVALID')
  })

  it('answers a request without any credential at once: nobody, Origin-checked, no authenticate call', () => {
    const untouched = {
      authenticateNow: async (): Promise<Authenticated | null> => {
        throw new Error('authenticate called')
      },
    }
    expect(admit({ ...untouched, passesOriginCheck: () => true }, post())).toEqual({ who: null })
    const refused = admit({ ...untouched, passesOriginCheck: () => false }, post())
    expect(!(refused instanceof Promise) && 'error' in refused && refused.error.code).toBe('CSRF_FAILED')
    // An empty Authorization or X-API-Key header is still looked at (and refused there).
    for (const headers of [{ authorization: '' }, { 'x-api-key': '' }] as Record<string, string>[])
      expect(admit({ ...untouched, passesOriginCheck: () => true }, post(headers))).toBeInstanceOf(Promise)
  })
})

describe('route guards', () => {
  const request = (who: Authenticated | null): GuardRequest => ({
    who,
    user: who?.user ?? null,
    settings: () => ({ ctx: post(), loginPath: '/login' }),
  })

  it('let through with null, refuse with a Response', async () => {
    expect(checkLogin(request(as('session')))).toBeNull()
    expect(checkLogin(request(as('api-key')), ['session', 'token'])).not.toBeNull()
    expect(((await checkLogin(request(null))) as Response).status).toBe(401)
    expect(checkRoles(request(as('session')), ['editor', 'admin'])).toBeNull()
    expect(((await checkRoles(request(as('session')), ['admin'])) as Response).status).toBe(403)
    expect(((await checkPermissions(request(null), ['x'])) as Response).status).toBe(401)
  })

  it('read auth and ctx only to refuse', () => {
    const untouchable: GuardRequest = {
      who: as('session'),
      user,
      settings: () => {
        throw new Error('read')
      },
    }
    expect(checkLogin(untouchable)).toBeNull()
    expect(checkRoles(untouchable, ['editor'])).toBeNull()
  })
})

describe('checkCsrf', () => {
  it('exempts GET/HEAD/OPTIONS and bearer credentials only', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS']) expect(csrfExempt(m, as('session'))).toBe(true)
    expect(csrfExempt('POST', as('token'))).toBe(true)
    expect(csrfExempt('POST', as('api-key'))).toBe(true)
    expect(csrfExempt('POST', as('session'))).toBe(false)
    expect(csrfExempt('TRACE', null)).toBe(false)
  })

  it('knows the form bodies', () => {
    expect(isFormBody('application/x-www-form-urlencoded; charset=utf-8')).toBe(true)
    expect(isFormBody('multipart/form-data; boundary=x')).toBe(true)
    expect(isFormBody('application/json')).toBe(false)
    expect(isFormBody(null)).toBe(false)
  })

  it('checks the header, else the form field, and reads the body only when needed', async () => {
    const seen: unknown[] = []
    const auth = {
      verifyCsrfToken: (_c: unknown, _s: unknown, token: unknown) => {
        seen.push(token)
        return token === 'good'
      },
    }
    let reads = 0
    const field = (value: unknown) => () => {
      reads++
      return value
    }
    const base = { method: 'POST', who: null, auth, session: null }
    expect(
      await checkCsrf({ ...base, ctx: post({ 'x-csrf-token': 'good' }), formField: field('bad') }),
    ).toBeNull()
    expect(reads).toBe(0)
    expect(await checkCsrf({ ...base, ctx: post(), formField: field('good') })).toBeNull()
    const refused = await checkCsrf({ ...base, ctx: post(), formField: field(42) })
    expect((refused as Response).status).toBe(403)
    expect(seen).toEqual(['good', 'good', null])
  })
})
