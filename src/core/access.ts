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
