import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { can, hasAnyRole, hasRole } from '../src/core/access.ts'
import { createAuth } from '../src/core/auth.ts'
import { parseCookies, readCookie } from '../src/core/cookies.ts'
import { equalStrings } from '../src/core/crypto/random.ts'
import { AuthError, ERROR_TABLE, errorResponse } from '../src/core/errors.ts'
import { passesOriginCheck } from '../src/core/protect/csrf.ts'
import { ipThrottleKey } from '../src/core/protect/ip.ts'
import { safeRedirect } from '../src/core/protect/redirect.ts'
import { parseSessionToken } from '../src/core/sessions.ts'
import { isValidEmail, normalizeEmail, normalizeUsername } from '../src/core/users.ts'
import { createMemoryStores } from '../src/stores/memory/index.ts'

describe('safeRedirect (docs/security.md case 11)', () => {
  it.each([
    '//evil.com',
    'https://evil.com',
    '/\\evil.com',
    'javascript:alert(1)',
    '/\t/evil.com',
    '\\\\evil.com',
    'http:/evil.com',
    '',
    ' /x',
    `/${'a'.repeat(3000)}`,
  ])('rejects %j', (next) => {
    expect(safeRedirect(next, '/dashboard')).toBe('/dashboard')
  })

  it('keeps same-origin paths with query and fragment', () => {
    expect(safeRedirect('/profile?tab=sessions#x', '/')).toBe('/profile?tab=sessions#x')
    expect(safeRedirect('/a/../b', '/')).toBe('/b')
  })
})

describe('normalisation (docs/security.md case 20)', () => {
  it('folds case and compatibility forms of usernames', () => {
    expect(normalizeUsername('Admin')).toBe('admin')
    expect(normalizeUsername('ａｄｍｉｎ')).toBe('admin')
    expect(normalizeUsername('STRAẞE')).toBe(normalizeUsername('strasse'))
  })
  it('lower-cases emails and rejects header-injection shapes', () => {
    expect(normalizeEmail(' Ada@Example.COM ')).toBe('ada@example.com')
    for (const bad of [
      'a,b@example.com',
      '"a"@example.com',
      'a@example.com\r\nBcc: x@y.z',
      'a b@example.com',
      'a@localhost',
      'a@@example.com',
      'a..b@example.com',
    ])
      expect(isValidEmail(bad)).toBe(false)
    expect(isValidEmail("o'brien+tag@mail.example.co.uk")).toBe(true)
  })
})

describe('IP throttle keys', () => {
  it('groups IPv6 by /64 and unwraps mapped IPv4', () => {
    expect(ipThrottleKey('2001:db8:1:2::1')).toBe(ipThrottleKey('2001:db8:1:2:ffff:ffff:ffff:ffff'))
    expect(ipThrottleKey('2001:db8:1:2::1')).not.toBe(ipThrottleKey('2001:db8:1:3::1'))
    expect(ipThrottleKey('::ffff:192.0.2.1')).toBe('192.0.2.1')
    expect(ipThrottleKey('not an ip')).toBe('invalid')
    expect(ipThrottleKey(null)).toBe('unknown')
  })
})

describe('origin check', () => {
  const allowed = new Set(['https://app.example.com'])
  it.each([
    [{ method: 'POST', secFetchSite: 'cross-site', origin: null }, false],
    [{ method: 'POST', secFetchSite: 'same-site', origin: null }, false],
    [{ method: 'POST', secFetchSite: null, origin: 'null' }, false],
    [{ method: 'POST', secFetchSite: null, origin: 'https://evil.com' }, false],
    [{ method: 'POST', secFetchSite: 'same-origin', origin: 'https://evil.com' }, false],
    [{ method: 'POST', secFetchSite: 'same-origin', origin: 'https://app.example.com' }, true],
    [{ method: 'POST', secFetchSite: 'same-origin', origin: 'null' }, true],
    [{ method: 'POST', secFetchSite: null, origin: 'https://app.example.com' }, true],
    [{ method: 'POST', secFetchSite: null, origin: null }, true],
    [{ method: 'GET', secFetchSite: 'cross-site', origin: 'https://evil.com' }, true],
  ])('%j → %s', (signals, expected) => {
    expect(passesOriginCheck(signals, allowed)).toBe(expected)
  })
})

describe('tokens and cookies', () => {
  it('parses only well-formed session tokens', () => {
    expect(parseSessionToken(`${'a'.repeat(22)}.${'b'.repeat(43)}`)).toEqual({
      id: 'a'.repeat(22),
      secret: 'b'.repeat(43),
    })
    for (const bad of [
      '',
      'x',
      `${'a'.repeat(22)}.${'b'.repeat(42)}!`,
      `${'a'.repeat(21)}.${'b'.repeat(44)}`,
      "' OR 1=1--",
    ])
      expect(parseSessionToken(bad)).toBeNull()
  })
  it('parses cookie headers defensively', () => {
    const c = parseCookies('a=1; b="2"; =x; c; a=3; d=')
    expect(c.get('a')).toBe('1')
    expect(c.get('b')).toBe('2')
    expect(c.get('d')).toBe('')
  })

  it('readCookie reads one cookie by the same rules as parseCookies', () => {
    const headers = [
      'a=1; b="2"; =x; c; a=3; d=',
      ' a = 1 ;b=  "q" ',
      'x; a=1',
      'a',
      'a=',
      '=a; a=2',
      'b=1;;a=2;',
      'aa=1; a=2',
      ' a=1=2',
      'a="',
      `${'z'.repeat(16_380)}; a=1`,
      '',
    ]
    for (const header of headers)
      for (const name of ['a', 'b', 'c', 'd', 'x', 'aa', 'zz'])
        expect(readCookie(header, name), `${JSON.stringify(header.slice(0, 40))} ${name}`).toBe(
          parseCookies(header).get(name),
        )
    expect(readCookie(null, 'a')).toBeUndefined()
  })

  it('equalStrings compares every character, lengths first', () => {
    expect(equalStrings('abc', 'abc')).toBe(true)
    expect(equalStrings('abc', 'abd')).toBe(false)
    expect(equalStrings('abc', 'ab')).toBe(false)
    expect(equalStrings('', '')).toBe(true)
    expect(equalStrings('é', 'e')).toBe(false)
  })
})

describe('roles and permissions', () => {
  const user = { roles: ['editor'], permissions: ['content:*', 'profile:read'] }
  it('grants exact, wildcard and namespace permissions', () => {
    expect(can(user, 'content:write')).toBe(true)
    expect(can(user, 'profile:read')).toBe(true)
    expect(can(user, 'profile:write')).toBe(false)
    expect(can({ roles: ['admin'], permissions: ['*'] }, 'anything')).toBe(true)
    expect(can(null, 'profile:read')).toBe(false)
    expect(hasRole(user, 'editor')).toBe(true)
    expect(hasAnyRole(user, 'admin', 'editor')).toBe(true)
    expect(hasAnyRole(user, 'admin')).toBe(false)
  })
})

describe('errors', () => {
  it('maps every code to a status and hides 500 details', async () => {
    for (const [code, [status]] of Object.entries(ERROR_TABLE))
      expect(new AuthError(code as never).status).toBe(status)
    const res = errorResponse(new AuthError('INTERNAL', { message: 'secret stack detail' }))
    expect(await res.json()).toEqual({ error: { code: 'INTERNAL', message: 'Something went wrong.' } })
    const limited = errorResponse(new AuthError('RATE_LIMITED', { retryAfter: 12.2 }))
    expect(limited.headers.get('retry-after')).toBe('13')
  })
})

describe('createAuth options', () => {
  const stores = () => createMemoryStores()
  it('rejects unknown keys naming the path', async () => {
    await expect(
      createAuth({ mode: 'test', stores: stores(), session: { idelTimeout: 5 } } as never),
    ).rejects.toThrow(/"session\.idelTimeout": unknown option/)
    await expect(createAuth({ mode: 'test', stores: stores(), sesion: {} } as never)).rejects.toThrow(
      /"sesion"/,
    )
    await expect(
      createAuth({ mode: 'test', stores: stores(), password: { minLength: 4 } }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    })
  })

  it('fails closed in production without a strong secret or https, naming the option', async () => {
    const base = { mode: 'production' as const, stores: stores(), publicUrl: 'https://auth.example.com' }
    await expect(createAuth(base)).rejects.toThrow(/"secret"/)
    await expect(createAuth({ ...base, secret: 'short' })).rejects.toThrow(/"secret": must be at least 32/)
    await expect(
      createAuth({ ...base, secret: 'x'.repeat(40), publicUrl: 'http://auth.example.com' }),
    ).rejects.toThrow(/"publicUrl"/)
    const ok = await createAuth({ ...base, secret: 'k'.repeat(8) + 'Zq9!'.repeat(8) })
    expect(ok.sessionCookieName).toBe('__Host-gh_session')
  })

  it('generates and persists a development secret with a warning', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-secret-'))
    const warnings: string[] = []
    const logger = { warn: (m: string) => warnings.push(m) }
    const a = await createAuth({ mode: 'development', stores: stores(), dataDir, logger })
    const file = join(dataDir, 'secret')
    expect(existsSync(file)).toBe(true)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const b = await createAuth({ mode: 'development', stores: stores(), dataDir, logger })
    expect(b.options.secret).toBe(a.options.secret)
    expect(readFileSync(file, 'utf8').trim()).toBe(a.options.secret)
    expect(warnings.some((w) => w.includes('"secret" not set'))).toBe(true)
    expect(warnings.some((w) => w.includes('"publicUrl"'))).toBe(true)
  })
})
