import { randomInt } from 'node:crypto'
import type { User } from '../../../stores/contracts.ts'
import type { Auth } from '../../auth.ts'
import type { RequestContext } from '../../context.ts'
import { AuthError } from '../../errors.ts'
import { normalizeEmail, normalizeUsername } from '../../users.ts'
import type { LinkedAccount, OAuthAccountStore } from './account-store.ts'
import type { GroupRoles, Profile } from './types.ts'

/**
 * The account-linking rules (API.md "Accounts"): a known identity (provider, issuer,
 * subject) signs in its user; a new identity whose email no account has makes a new user
 * without a password; a new identity whose email an account has is linked to it only when
 * the provider asserts the email verified AND the account's own email is verified —
 * otherwise OAUTH_ACCOUNT_EXISTS and nothing is created. An unverified email never links.
 */
export async function userForIdentity(
  auth: Auth,
  store: OAuthAccountStore,
  provider: string,
  profile: Profile,
  ctx: Partial<RequestContext>,
): Promise<{ user: User; account: LinkedAccount }> {
  const known = await store.find(provider, profile.issuer, profile.subject)
  if (known) {
    const user = await auth.stores.users.getUserById(known.userId)
    if (user) return { user, account: known }
    await store.delete(known.userId, provider)
  }
  if (!profile.email)
    throw new AuthError('OAUTH_INVALID_RESPONSE', { message: 'The provider did not share an email address.' })
  const local = await auth.stores.users.getUserByEmail(normalizeEmail(profile.email))
  if (local) {
    if (!profile.emailVerified || !local.emailVerified) throw new AuthError('OAUTH_ACCOUNT_EXISTS')
    const account = await link(auth, store, local, provider, profile, ctx)
    return { user: local, account }
  }
  const user = await createOAuthUser(auth, profile, provider, ctx)
  const account = await link(auth, store, user, provider, profile, ctx)
  return { user, account }
}

/** Links the identity to `user` (the profile's link button, or the verified-email rule). */
export async function link(
  auth: Auth,
  store: OAuthAccountStore,
  user: User,
  provider: string,
  profile: Profile,
  ctx: Partial<RequestContext>,
): Promise<LinkedAccount> {
  const existing = await store.find(provider, profile.issuer, profile.subject)
  if (existing) {
    if (existing.userId !== user.id) throw new AuthError('OAUTH_IDENTITY_TAKEN')
    return existing
  }
  const account: LinkedAccount = {
    userId: user.id,
    provider,
    issuer: profile.issuer,
    subject: profile.subject,
    email: profile.email,
    groups: [],
    grantedRoles: [],
    linkedAt: auth.clock(),
    accessToken: null,
    refreshToken: null,
    tokenExpiresAt: null,
    tokenVersion: 0,
  }
  if (!(await store.insert(account))) {
    // A concurrent first sign-in of the same identity won: it is this user's or nobody's to take.
    const winner = await store.find(provider, profile.issuer, profile.subject)
    if (winner?.userId === user.id) return winner
    throw new AuthError('OAUTH_IDENTITY_TAKEN')
  }
  await auth.audit({ type: 'oauth.link', userId: user.id, data: { provider, issuer: profile.issuer }, ctx })
  return account
}

/** A username from the provider's hint or the email, made unique with a numeric suffix. */
function usernameCandidates(profile: Profile): string[] {
  const base =
    (profile.username ?? profile.email?.split('@')[0] ?? 'user')
      .replace(/[^A-Za-z0-9_]/g, '_')
      .slice(0, 24) || 'user'
  const padded = base.length < 3 ? `${base}___`.slice(0, 3) : base
  return [padded, ...Array.from({ length: 6 }, () => `${padded}_${randomInt(1000, 100000)}`)]
}

async function createOAuthUser(
  auth: Auth,
  profile: Profile,
  provider: string,
  ctx: Partial<RequestContext>,
): Promise<User> {
  if (!auth.options.signup.enabled) throw new AuthError('SIGNUP_DISABLED')
  for (const username of usernameCandidates(profile)) {
    const result = await auth.stores.users.createUser({
      id: crypto.randomUUID(),
      email: normalizeEmail(profile.email!),
      username,
      usernameNormalized: normalizeUsername(username),
      name: profile.name,
      // No password until the user sets one (the profile's password form).
      passwordHash: null,
      active: true,
      emailVerified: profile.emailVerified,
      createdAt: auth.clock(),
      roles: [...auth.options.signup.defaultRoles],
    })
    if (result.ok) {
      await auth.audit({ type: 'oauth.signup', userId: result.user.id, data: { provider }, ctx })
      return result.user
    }
    // The email was taken meanwhile (a concurrent sign-up): the linking rules apply again.
    if (result.conflict === 'email') throw new AuthError('OAUTH_ACCOUNT_EXISTS')
  }
  throw new AuthError('CONFLICT', { message: 'No free username could be found.' })
}

/**
 * GATEHOUSE_OAUTH_GROUP_ROLES at a sign-in through `provider`: the roles its current groups
 * map to are granted, the ones a group granted before and no longer does are taken back
 * (unless another linked account's groups still grant them). Audited as `oauth.roles`.
 */
export async function applyGroupRoles(
  auth: Auth,
  store: OAuthAccountStore,
  user: User,
  account: LinkedAccount,
  profile: Profile,
  mapping: GroupRoles,
  ctx: Partial<RequestContext>,
): Promise<User> {
  const known = (role: string) => Object.hasOwn(auth.options.roles, role)
  const granted = [
    ...new Set(
      mapping
        .filter((m) => m.provider === account.provider && profile.groups.includes(m.group))
        .map((m) => m.role),
    ),
  ].filter(known)
  const others = (await store.listForUser(user.id)).filter((a) => a.provider !== account.provider)
  const stillGranted = new Set(others.flatMap((a) => a.grantedRoles))
  const removed = account.grantedRoles.filter(
    (r) => !granted.includes(r) && !stillGranted.has(r) && user.roles.includes(r),
  )
  const added = granted.filter((r) => !user.roles.includes(r))
  await store.updateProfile(user.id, account.provider, {
    email: profile.email,
    groups: profile.groups,
    grantedRoles: granted,
  })
  if (added.length === 0 && removed.length === 0) return user
  const roles = [...user.roles.filter((r) => !removed.includes(r)), ...added]
  await auth.stores.users.setRoles(user.id, roles)
  await auth.audit({
    type: 'oauth.roles',
    userId: user.id,
    data: { provider: account.provider, added, removed },
    ctx,
  })
  return (await auth.stores.users.getUserById(user.id)) ?? user
}
