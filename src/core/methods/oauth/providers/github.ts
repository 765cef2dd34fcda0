import type { ProviderSpec } from '../types.ts'
import { obj, str } from './claims.ts'

export interface GithubSettings {
  clientId: string
  clientSecret: string
  /** GitHub Enterprise Server's URL; its API is `<url>/api/v3`. Default https://github.com. */
  url?: string
  /** The user's teams as groups (`<org>/<team-slug>`); asks for `read:org`. */
  groups?: boolean
}

/**
 * GitHub: plain OAuth 2 (no discovery, no ID token), so the metadata is written here and
 * the identity comes from the API — `/user` for the id, `/user/emails` for the primary
 * verified address (`/user` says `"email": null` when it is private), `/user/teams`.
 */
export function githubProvider(s: GithubSettings): ProviderSpec {
  const web = (s.url ?? 'https://github.com').replace(/\/+$/, '')
  const api = web === 'https://github.com' ? 'https://api.github.com' : `${web}/api/v3`
  return {
    id: 'github',
    name: 'GitHub',
    mark: 'github',
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    metadata: {
      issuer: web,
      authorization_endpoint: `${web}/login/oauth/authorize`,
      token_endpoint: `${web}/login/oauth/access_token`,
    },
    scope: s.groups ? 'read:user user:email read:org' : 'read:user user:email',
    oidc: false,
    async profile({ getJson }) {
      const user = obj(await getJson(`${api}/user`))
      const id = user.id
      if (typeof id !== 'number' && typeof id !== 'string') throw new Error('GitHub user without id')
      const emails = await getJson(`${api}/user/emails`)
      const primary = Array.isArray(emails) ? emails.map(obj).find((e) => e.primary === true) : undefined
      let groups: string[] = []
      if (s.groups) {
        const teams = await getJson(`${api}/user/teams`)
        groups = Array.isArray(teams)
          ? teams
              .map(obj)
              .map((t) => `${str(obj(t.organization).login) ?? ''}/${str(t.slug) ?? ''}`)
              .filter((g) => !g.startsWith('/') && !g.endsWith('/'))
          : []
      }
      return {
        subject: String(id),
        issuer: web,
        // The primary address from /user/emails, with GitHub's word on it: /user's public
        // email is null when private, and says nothing about verification.
        email: primary ? str(primary.email) : null,
        emailVerified: primary?.verified === true,
        name: str(user.name),
        username: str(user.login),
        groups,
      }
    },
  }
}
