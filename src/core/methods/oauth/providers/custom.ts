import { AuthError } from '../../../errors.ts'
import type { ProviderSpec } from '../types.ts'
import { bool, groupsOf, obj, str } from './claims.ts'

/**
 * A custom OAuth 2 provider from the config file (Flet's OAuthProvider): its endpoints,
 * scopes, and which fields of the user JSON are the id, email, name and email_verified.
 */
export interface CustomSettings {
  id: string
  name: string
  clientId: string
  clientSecret: string
  authorizationUrl: string
  tokenUrl: string
  userUrl: string
  scope?: string
  /** Field names in the user JSON (dotted paths allowed). */
  fields?: { id?: string; email?: string; name?: string; emailVerified?: string; username?: string }
  /** An endpoint answering a list of group names (or objects with `name`). */
  groupsUrl?: string
}

function pick(json: Record<string, unknown>, path: string): unknown {
  let value: unknown = json
  for (const part of path.split('.')) value = obj(value)[part]
  return value
}

export function customProvider(s: CustomSettings): ProviderSpec {
  const f = {
    id: 'id',
    email: 'email',
    name: 'name',
    emailVerified: 'email_verified',
    username: 'login',
    ...s.fields,
  }
  const issuer = new URL(s.authorizationUrl).origin
  return {
    id: s.id,
    name: s.name,
    mark: 'generic',
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    metadata: { issuer, authorization_endpoint: s.authorizationUrl, token_endpoint: s.tokenUrl },
    scope: s.scope ?? '',
    oidc: false,
    async profile({ getJson }) {
      const user = obj(await getJson(s.userUrl))
      const id = pick(user, f.id)
      if (typeof id !== 'string' && typeof id !== 'number')
        throw new AuthError('OAUTH_INVALID_RESPONSE', { message: 'The provider sent no user id.' })
      let groups: string[] = []
      if (s.groupsUrl) {
        const list = await getJson(s.groupsUrl)
        groups = groupsOf(
          Array.isArray(list) ? list.map((g) => (typeof g === 'string' ? g : obj(g).name)) : [],
        )
      }
      return {
        subject: String(id),
        issuer,
        email: str(pick(user, f.email)),
        emailVerified: bool(pick(user, f.emailVerified)),
        name: str(pick(user, f.name)),
        username: str(pick(user, f.username)),
        groups,
      }
    },
  }
}
