import { CompactSign } from 'jose'
import type { User } from '../../stores/contracts.ts'
import { randomToken } from '../crypto/random.ts'
import { AuthError } from '../errors.ts'
import { invalid, type KeyResolver } from './jws.ts'
import type { SigningKey } from './keys.ts'
import { verifyJwt } from './verify.ts'

/** RFC 9068 media type in the header; the `typ` claim names the kind again inside the signed payload. */
export const ACCESS_TOKEN_TYP = 'at+jwt'
export const ACCESS_TOKEN_KIND = 'access'

export interface AccessClaims {
  iss: string
  sub: string
  aud: string | string[]
  iat: number
  nbf: number
  exp: number
  jti: string
  typ: typeof ACCESS_TOKEN_KIND
  roles: string[]
  /** True only for a token issued at an interactive login (not after a refresh). */
  fresh: boolean
  /** The user's token generation at issue time (see revocation.ts); absent when none was set. */
  gen?: string
  [claim: string]: unknown
}

/** Claims Gatehouse sets itself; the app hook may not set them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'typ',
  'roles',
  'fresh',
  'gen',
])

export type AdditionalClaims = (user: User) => Record<string, unknown> | Promise<Record<string, unknown>>

export interface IssueAccessInput {
  key: SigningKey
  issuer: string
  audience: string
  /** Seconds. */
  ttl: number
  /** Milliseconds (clock()). */
  now: number
  user: User
  fresh: boolean
  generation: string | null
  additionalClaims?: AdditionalClaims | undefined
}

/** Runs the app hook; a reserved name is a programming error, refused loudly rather than dropped. */
async function extraClaims(hook: AdditionalClaims | undefined, user: User): Promise<Record<string, unknown>> {
  if (!hook) return {}
  const extra = await hook(user)
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw new AuthError('CONFIG_INVALID', { message: 'tokens.additionalClaims must return an object' })
  }
  for (const name of Object.keys(extra)) {
    if (RESERVED_CLAIMS.has(name)) {
      throw new AuthError('CONFIG_INVALID', {
        message: `tokens.additionalClaims may not set the reserved claim "${name}"`,
      })
    }
  }
  return extra
}

export async function issueAccessToken(
  input: IssueAccessInput,
): Promise<{ token: string; claims: AccessClaims }> {
  const iat = Math.floor(input.now / 1000)
  const extra = await extraClaims(input.additionalClaims, input.user)
  const claims: AccessClaims = {
    ...extra,
    iss: input.issuer,
    sub: input.user.id,
    aud: input.audience,
    iat,
    nbf: iat,
    exp: iat + input.ttl,
    jti: randomToken(16),
    typ: ACCESS_TOKEN_KIND,
    roles: [...input.user.roles],
    fresh: input.fresh,
    ...(input.generation === null ? {} : { gen: input.generation }),
  }
  const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: input.key.alg, kid: input.key.kid, typ: ACCESS_TOKEN_TYP })
    .sign(input.key.privateKey)
  return { token, claims }
}

export interface AccessRules {
  issuer: string
  audience: string
  /** Milliseconds (clock()). */
  now: number
  /** Seconds of slack on exp (and nbf/iat). */
  leeway: number
  /** Seconds nbf/iat may lie ahead. */
  clockSkew: number
}

/**
 * Signature, header typ "at+jwt", kid → key → that key's algorithm only, registered
 * claims, then the shape of Gatehouse's own claims. No revocation lookup here (that is
 * the service's job, and other services verify offline).
 */
export async function verifyAccessJwt(
  token: unknown,
  resolveKey: KeyResolver,
  rules: AccessRules,
): Promise<AccessClaims> {
  const { claims } = await verifyJwt(
    token,
    (header) => (typeof header.kid === 'string' ? resolveKey(header) : null),
    {
      issuer: rules.issuer,
      audience: rules.audience,
      now: Math.floor(rules.now / 1000),
      leeway: rules.leeway,
      clockSkew: rules.clockSkew,
      typ: ACCESS_TOKEN_TYP,
      required: ['sub', 'jti', 'iat', 'nbf'],
    },
  )
  const c = claims as Partial<AccessClaims>
  const ok =
    c.typ === ACCESS_TOKEN_KIND &&
    typeof c.sub === 'string' &&
    c.sub.length > 0 &&
    typeof c.jti === 'string' &&
    c.jti.length > 0 &&
    Array.isArray(c.roles) &&
    c.roles.every((r) => typeof r === 'string') &&
    typeof c.fresh === 'boolean' &&
    (c.gen === undefined || typeof c.gen === 'string')
  if (!ok) throw invalid()
  return claims as AccessClaims
}
