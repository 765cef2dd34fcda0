import type { User } from '../stores/contracts.ts'

type Subject = Pick<User, 'roles' | 'permissions'> | null | undefined

/** True if the permission set grants `permission`; `*` grants all, `content:*` grants `content:…`. */
export function grants(permissions: readonly string[], permission: string): boolean {
  for (const p of permissions) {
    if (p === permission || p === '*') return true
    if (p.endsWith(':*') && permission.startsWith(p.slice(0, -1))) return true
  }
  return false
}

export function can(user: Subject, permission: string): boolean {
  return !!user && grants(user.permissions, permission)
}

export function hasRole(user: Subject, role: string): boolean {
  return !!user && user.roles.includes(role)
}

export function hasAnyRole(user: Subject, ...roles: string[]): boolean {
  return !!user && roles.some((r) => user.roles.includes(r))
}

/**
 * What an API key may do: its owner's rights narrowed to the key's scopes. A scope that
 * names a role the owner has keeps that role (and its permissions); a scope that names a
 * permission the owner holds keeps that permission. A key without scopes identifies its
 * owner and nothing more.
 */
export function limitToScopes<U extends Pick<User, 'roles' | 'permissions'>>(
  user: U,
  scopes: readonly string[],
  roleMap: Readonly<Record<string, readonly string[]>>,
): U {
  const roles = user.roles.filter((r) => scopes.includes(r))
  const permissions = new Set(roles.flatMap((r) => roleMap[r] ?? []))
  for (const scope of scopes) {
    if (!(scope in roleMap) && grants(user.permissions, scope)) permissions.add(scope)
  }
  return { ...user, roles, permissions: [...permissions].sort() }
}
