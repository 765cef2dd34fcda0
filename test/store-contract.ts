/**
 * The storage contract suite: every store implementation (memory, SQLite, PostgreSQL,
 * Redis) runs exactly these tests. A store is done when it passes them.
 * Each test gets fresh, empty stores from the factory and a fake clock they share.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type {
  ApiKeyRecord,
  AuditEvent,
  NewUser,
  SessionRecord,
  SigningKeyRecord,
  Stores,
} from '../src/stores/contracts.ts'
import { AccessGuardError, IdentityTakenError, StoreConflictError } from '../src/stores/errors.ts'
import type { FakeClock, StoreFixture } from './helpers/stores.ts'

export type { FakeClock, StoreFixture } from './helpers/stores.ts'

export interface StoreContractOptions {
  /**
   * True (the default) when KV expiry follows the injected clock, so TTLs are tested by
   * advancing the fake clock. Redis expires keys on its own clock: it sets this false, and its
   * own suite checks the TTLs it sets with PTTL (no sleeping in tests).
   */
  kvFollowsClock?: boolean
}

const SECOND = 1000
const HOUR = 3600 * SECOND

export function runStoreContract(
  name: string,
  factory: () => Promise<StoreFixture>,
  { kvFollowsClock = true }: StoreContractOptions = {},
): void {
  describe(`store contract: ${name}`, () => {
    let fixture: StoreFixture | undefined
    let s: Stores
    let clock: FakeClock
    let seq = 0

    beforeEach(async () => {
      fixture = await factory()
      s = fixture.stores
      clock = fixture.clock
    })
    afterEach(async () => {
      await fixture?.cleanup()
      fixture = undefined
    })

    const uid = (p: string) => `${p}${++seq}`

    function newUser(overrides: Partial<NewUser> = {}): NewUser {
      const id = overrides.id ?? uid('user-')
      return {
        id,
        email: `${id}@example.com`,
        username: `User-${id}`,
        usernameNormalized: `user-${id}`,
        name: null,
        passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
        active: true,
        emailVerified: false,
        createdAt: clock(),
        roles: ['user'],
        ...overrides,
      }
    }

    async function createUser(overrides: Partial<NewUser> = {}) {
      const result = await s.users.createUser(newUser(overrides))
      if (!result.ok) throw new Error(`fixture user not created: ${result.conflict}`)
      return result.user
    }

    function newSession(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
      const now = clock()
      return {
        id: uid('sess-'),
        secretHash: 'a'.repeat(64),
        userId,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + HOUR,
        absoluteExpiresAt: now + 24 * HOUR,
        remember: false,
        ip: '203.0.113.7',
        userAgent: 'Mozilla/5.0 (test)',
        ...overrides,
      }
    }

    function newApiKey(userId: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
      return {
        id: uid('key-'),
        userId,
        name: 'CI deploy',
        keyHash: 'b'.repeat(64),
        scopes: ['users:read', 'audit:read'],
        createdAt: clock(),
        expiresAt: null,
        lastUsedAt: null,
        ...overrides,
      }
    }

    function newEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
      return {
        id: uid('evt-'),
        at: clock(),
        type: 'login.succeeded',
        userId: null,
        actorId: null,
        ip: null,
        userAgent: null,
        reason: null,
        data: null,
        ...overrides,
      }
    }

    function newSigningKey(overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
      return {
        kid: uid('kid-'),
        alg: 'EdDSA',
        publicJwk: '{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}',
        privateKeyEncrypted: 'gAAAAABencrypted==',
        createdAt: clock(),
        retiredAt: null,
        expiresAt: null,
        ...overrides,
      }
    }

    describe('lifecycle', () => {
      it('pings and describes itself without secrets', async () => {
        await expect(s.ping()).resolves.toBeUndefined()
        expect(s.description).toMatch(/\S/)
        expect(s.description).not.toMatch(/:[^:@/*]+@/) // no user:password@
      })
    })

    describe('users', () => {
      it('defineRole run at once by two starting instances: no failure, the role as defined, redefinable', async () => {
        await Promise.all(
          Array.from({ length: 4 }, () => s.users.defineRole('racer', ['a.read', 'b.write', 'c.admin'])),
        )
        const racer = () => s.users.listRoles().then((roles) => roles.find((r) => r.name === 'racer'))
        expect(await racer()).toEqual({ name: 'racer', permissions: ['a.read', 'b.write', 'c.admin'] })
        await s.users.defineRole('racer', ['b.write', 'd.new'])
        expect(await racer()).toEqual({ name: 'racer', permissions: ['b.write', 'd.new'] })
        await s.users.defineRole('racer', [])
        expect(await racer()).toEqual({ name: 'racer', permissions: [] })
      })

      it('createUser returns the user with its known roles and their permissions', async () => {
        await s.users.defineRole('editor', ['posts.write', 'posts.read'])
        await s.users.defineRole('admin', ['users.manage', 'posts.read'])
        const input = newUser({
          name: 'Zoë Example',
          active: false,
          emailVerified: true,
          passwordHash: null,
          roles: ['editor', 'admin', 'no-such-role', 'editor'],
        })
        const result = await s.users.createUser(input)
        expect(result).toEqual({
          ok: true,
          user: {
            id: input.id,
            email: input.email,
            username: input.username,
            usernameNormalized: input.usernameNormalized,
            name: 'Zoë Example',
            passwordHash: null,
            active: false,
            emailVerified: true,
            createdAt: input.createdAt,
            lastLoginAt: null,
            roles: ['admin', 'editor'],
            permissions: ['posts.read', 'posts.write', 'users.manage'],
          },
        })
        expect(await s.users.getUserById(input.id)).toEqual(result.ok && result.user)
      })

      it('createUser reports email and username conflicts and stores nothing', async () => {
        const first = await createUser()
        const sameEmail = newUser({ email: first.email })
        const sameUsername = newUser({ usernameNormalized: first.usernameNormalized })
        const both = newUser({ email: first.email, usernameNormalized: first.usernameNormalized })
        expect(await s.users.createUser(sameEmail)).toEqual({ ok: false, conflict: 'email' })
        expect(await s.users.createUser(sameUsername)).toEqual({ ok: false, conflict: 'username' })
        expect(await s.users.createUser(both)).toEqual({ ok: false, conflict: 'email' })
        for (const rejected of [sameEmail, sameUsername, both]) {
          expect(await s.users.getUserById(rejected.id)).toBeNull()
        }
        expect((await s.users.listUsers({ offset: 0, limit: 10 })).total).toBe(1)
      })

      it('concurrent createUser with one email: exactly one succeeds', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, () => s.users.createUser(newUser({ email: 'race@example.com' }))),
        )
        expect(results.filter((r) => r.ok)).toHaveLength(1)
        expect(results.filter((r) => !r.ok)).toEqual(Array(9).fill({ ok: false, conflict: 'email' }))
      })

      it('finds users by id, normalised email and normalised username; null when unknown', async () => {
        const user = await createUser({ email: 'alice@example.com', usernameNormalized: 'alice' })
        expect((await s.users.getUserById(user.id))?.id).toBe(user.id)
        expect((await s.users.getUserByEmail('alice@example.com'))?.id).toBe(user.id)
        expect((await s.users.getUserByEmail('  Alice@EXAMPLE.com '))?.id).toBe(user.id)
        expect((await s.users.getUserByUsername('alice'))?.id).toBe(user.id)
        expect(await s.users.getUserById('nobody')).toBeNull()
        expect(await s.users.getUserByEmail('bob@example.com')).toBeNull()
        expect(await s.users.getUserByUsername('bob')).toBeNull()
        expect(await s.users.getUserByEmail("' OR 1=1--")).toBeNull()
      })

      it('links identities and finds users by (provider, subject)', async () => {
        const alice = await createUser()
        const bob = await createUser()
        await s.users.linkIdentity(alice.id, 'github', '1234', clock())
        await s.users.linkIdentity(alice.id, 'google', '1234', clock())
        await s.users.linkIdentity(bob.id, 'github', '5678', clock())
        expect((await s.users.getUserByIdentity('github', '1234'))?.id).toBe(alice.id)
        expect((await s.users.getUserByIdentity('google', '1234'))?.id).toBe(alice.id)
        expect((await s.users.getUserByIdentity('github', '5678'))?.id).toBe(bob.id)
        expect(await s.users.getUserByIdentity('github', '9999')).toBeNull()
        expect(await s.users.getUserByIdentity('gitlab', '1234')).toBeNull()
        // Idempotent for the same user; refused for another.
        await s.users.linkIdentity(alice.id, 'github', '1234', clock())
        await expect(s.users.linkIdentity(bob.id, 'github', '1234', clock())).rejects.toBeInstanceOf(
          IdentityTakenError,
        )
        expect((await s.users.getUserByIdentity('github', '1234'))?.id).toBe(alice.id)
      })

      it('getUserByIdentity returns roles and permissions too', async () => {
        await s.users.defineRole('admin', ['everything'])
        const user = await createUser({ roles: ['admin'] })
        await s.users.linkIdentity(user.id, 'oidc', 'sub', clock())
        const found = await s.users.getUserByIdentity('oidc', 'sub')
        expect(found?.roles).toEqual(['admin'])
        expect(found?.permissions).toEqual(['everything'])
      })

      it('updateUser patches only the given fields; null for an unknown user', async () => {
        const user = await createUser({ name: 'Before' })
        const updated = await s.users.updateUser(user.id, {
          email: 'new@example.com',
          active: false,
          emailVerified: true,
          lastLoginAt: clock() + 5000,
        })
        expect(updated).toEqual({
          ...user,
          email: 'new@example.com',
          active: false,
          emailVerified: true,
          lastLoginAt: clock() + 5000,
        })
        expect(await s.users.getUserById(user.id)).toEqual(updated)
        expect(await s.users.updateUser(user.id, { name: null })).toEqual({ ...updated, name: null })
        expect(await s.users.updateUser(user.id, {})).toEqual({ ...updated, name: null })
        expect((await s.users.getUserByEmail('new@example.com'))?.id).toBe(user.id)
        expect(await s.users.getUserByEmail(user.email)).toBeNull()
        expect(await s.users.updateUser('nobody', { name: 'x' })).toBeNull()
      })

      it("updateUser refuses another user's email with StoreConflictError", async () => {
        const alice = await createUser()
        const bob = await createUser()
        const attempt = s.users.updateUser(bob.id, { email: alice.email })
        await expect(attempt).rejects.toBeInstanceOf(StoreConflictError)
        await expect(attempt).rejects.toMatchObject({ code: 'CONFLICT', field: 'email' })
        expect((await s.users.getUserById(bob.id))?.email).toBe(bob.email)
      })

      it('setPasswordHash sets and clears the hash', async () => {
        const user = await createUser()
        await s.users.setPasswordHash(user.id, '$argon2id$new')
        expect((await s.users.getUserById(user.id))?.passwordHash).toBe('$argon2id$new')
        await s.users.setPasswordHash(user.id, null)
        expect((await s.users.getUserById(user.id))?.passwordHash).toBeNull()
        await expect(s.users.setPasswordHash('nobody', 'x')).resolves.toBeUndefined()
      })

      it('setRoles replaces the roles, ignores unknown names, and [] clears them', async () => {
        await s.users.defineRole('editor', ['posts.write'])
        await s.users.defineRole('admin', ['users.manage'])
        const user = await createUser({ roles: ['user', 'editor'] })
        expect(user.roles).toEqual(['editor', 'user'])

        await s.users.setRoles(user.id, ['admin', 'ghost', 'admin'])
        const replaced = await s.users.getUserById(user.id)
        expect(replaced?.roles).toEqual(['admin'])
        expect(replaced?.permissions).toEqual(['users.manage'])

        await s.users.setRoles(user.id, [])
        expect(await s.users.getUserById(user.id)).toMatchObject({ roles: [], permissions: [] })
        await expect(s.users.setRoles('nobody', ['admin'])).resolves.toBeUndefined()
        expect(await s.users.getUserById('nobody')).toBeNull()
      })

      it('updateAccess changes roles and the active flag together; null for an unknown user', async () => {
        await s.users.defineRole('admin', ['users.manage'])
        const user = await createUser({ roles: ['user'] })
        const updated = await s.users.updateAccess(user.id, { roles: ['admin', 'ghost'], active: false })
        expect(updated).toEqual({ ...user, roles: ['admin'], permissions: ['users.manage'], active: false })
        expect(await s.users.getUserById(user.id)).toEqual(updated)
        expect(await s.users.updateAccess(user.id, { active: true })).toMatchObject({
          roles: ['admin'],
          active: true,
        })
        expect(await s.users.updateAccess(user.id, { roles: [] })).toMatchObject({ roles: [], active: true })
        expect(await s.users.updateAccess('nobody', { roles: ['admin'] })).toBeNull()
      })

      it('updateAccess with keepActiveRole refuses to remove the last active holder and writes nothing', async () => {
        const only = await createUser({ roles: ['admin', 'user'] })
        const other = await createUser({ roles: ['user'] })
        const guard = { keepActiveRole: 'admin' }
        for (const change of [{ roles: ['user'] }, { active: false }, { roles: ['user'], active: true }]) {
          await expect(s.users.updateAccess(only.id, change, guard)).rejects.toBeInstanceOf(AccessGuardError)
          await expect(s.users.updateAccess(only.id, change, guard)).rejects.toMatchObject({
            reason: 'last-holder',
          })
        }
        // The combined change was refused as a whole: the roles were not saved either.
        await expect(
          s.users.updateAccess(only.id, { roles: ['editor'], active: false }, guard),
        ).rejects.toBeInstanceOf(AccessGuardError)
        expect(await s.users.getUserById(only.id)).toMatchObject({ roles: ['admin', 'user'], active: true })
        await expect(s.users.deleteUser(only.id, guard)).rejects.toMatchObject({ reason: 'last-holder' })
        expect(await s.users.getUserById(only.id)).not.toBeNull()

        // Changes that keep an active admin pass: other users, and this one once another admin exists.
        expect(await s.users.updateAccess(other.id, { active: false }, guard)).toMatchObject({
          active: false,
        })
        expect(await s.users.updateAccess(only.id, { roles: ['admin'] }, guard)).toMatchObject({
          roles: ['admin'],
        })
        // An inactive admin does not count.
        await s.users.updateAccess(other.id, { roles: ['admin'] }, guard)
        await expect(s.users.updateAccess(only.id, { active: false }, guard)).rejects.toMatchObject({
          reason: 'last-holder',
        })
        await s.users.updateAccess(other.id, { active: true }, guard)
        expect(await s.users.updateAccess(only.id, { active: false }, guard)).toMatchObject({ active: false })
        expect(await s.users.deleteUser(only.id, guard)).toBe(true)
        await expect(s.users.deleteUser(other.id, guard)).rejects.toMatchObject({ reason: 'last-holder' })
        expect(await s.users.deleteUser('nobody', guard)).toBe(false)
      })

      it('a guarded write refuses an actor who is inactive or lacks the role, and writes nothing', async () => {
        const admin = await createUser({ roles: ['admin'] })
        const target = await createUser({ roles: ['user'] })
        const plain = await createUser({ roles: ['user'] })
        const asPlain = { actor: { id: plain.id, role: 'admin' } }
        await expect(s.users.updateAccess(target.id, { active: false }, asPlain)).rejects.toMatchObject({
          reason: 'actor',
        })
        await expect(s.users.deleteUser(target.id, asPlain)).rejects.toMatchObject({ reason: 'actor' })
        await expect(
          s.users.updateAccess(target.id, {}, { actor: { id: 'nobody', role: 'admin' } }),
        ).rejects.toMatchObject({ reason: 'actor' })
        const asAdmin = { actor: { id: admin.id, role: 'admin' } }
        expect(await s.users.updateAccess(target.id, { roles: ['editor'] }, asAdmin)).toMatchObject({
          roles: ['editor'],
        })
        await s.users.updateAccess(admin.id, { active: false })
        await expect(s.users.updateAccess(target.id, { roles: ['user'] }, asAdmin)).rejects.toMatchObject({
          reason: 'actor',
        })
        await expect(s.users.updateAccess(target.id, {}, { actor: { id: admin.id } })).rejects.toMatchObject({
          reason: 'actor',
        })
        expect(await s.users.getUserById(target.id)).toMatchObject({ roles: ['editor'], active: true })
        expect(await s.users.deleteUser(target.id, { actor: { id: plain.id } })).toBe(true)
      })

      it('two admins demoting each other at once: exactly one succeeds and one admin is left', async () => {
        for (let round = 0; round < 5; round++) {
          const a = await createUser({ roles: ['admin', 'user'] })
          const b = await createUser({ roles: ['admin', 'user'] })
          const demote = (target: string, actor: string) =>
            s.users
              .updateAccess(
                target,
                { roles: ['user'] },
                { keepActiveRole: 'admin', actor: { id: actor, role: 'admin' } },
              )
              .then(
                () => 'ok',
                (e: unknown) => (e instanceof AccessGuardError ? e.reason : 'error'),
              )
          const results = await Promise.all([demote(a.id, b.id), demote(b.id, a.id)])
          expect(results.filter((r) => r === 'ok')).toHaveLength(1)
          expect(results.filter((r) => r === 'actor' || r === 'last-holder')).toHaveLength(1)
          const admins = [await s.users.getUserById(a.id), await s.users.getUserById(b.id)].filter((u) =>
            u?.roles.includes('admin'),
          )
          expect(admins).toHaveLength(1)
          // Unguarded by an actor, two demotions of the last two admins: one is refused.
          const lone = admins[0]!
          const c = await createUser({ roles: ['admin'] })
          const both = await Promise.all(
            [lone.id, c.id].map((id) =>
              s.users.updateAccess(id, { active: false }, { keepActiveRole: 'admin' }).then(
                () => 'ok',
                (e: unknown) => (e instanceof AccessGuardError ? e.reason : 'error'),
              ),
            ),
          )
          expect(both.sort()).toEqual(['last-holder', 'ok'])
          for (const u of [a, b, c]) await s.users.deleteUser(u.id)
        }
      })

      it('defineRole creates roles and replaces permissions, which users see at once', async () => {
        const before = await s.users.listRoles()
        expect(before.map((r) => r.name)).toEqual(expect.arrayContaining(['admin', 'editor', 'user']))

        await s.users.defineRole('auditor', ['audit.read', 'audit.export', 'audit.read'])
        const user = await createUser({ roles: ['auditor', 'user'] })
        expect(user.permissions).toEqual(['audit.export', 'audit.read'])

        await s.users.defineRole('auditor', ['audit.read'])
        await s.users.defineRole('user', ['profile.edit'])
        const after = await s.users.getUserById(user.id)
        expect(after?.roles).toEqual(['auditor', 'user']) // redefining keeps assignments
        expect(after?.permissions).toEqual(['audit.read', 'profile.edit'])

        const roles = await s.users.listRoles()
        expect(roles.map((r) => r.name)).toEqual(['admin', 'auditor', 'editor', 'user'])
        expect(roles.find((r) => r.name === 'auditor')?.permissions).toEqual(['audit.read'])
        expect(roles.find((r) => r.name === 'admin')?.permissions).toEqual([])

        await s.users.defineRole('auditor', [])
        expect((await s.users.getUserById(user.id))?.permissions).toEqual(['profile.edit'])
      })

      it('listUsers orders by creation (oldest first), paginates and counts', async () => {
        await s.users.defineRole('admin', ['users.manage'])
        const start = clock()
        // Created out of order, so the order must come from createdAt, not insertion.
        for (const i of [3, 0, 4, 1, 2]) {
          await createUser({
            id: `list-${i}`,
            createdAt: start + i * SECOND,
            roles: i === 1 ? ['admin'] : [],
          })
        }
        const all = await s.users.listUsers({ offset: 0, limit: 10 })
        expect(all.total).toBe(5)
        expect(all.users.map((u) => u.id)).toEqual(['list-0', 'list-1', 'list-2', 'list-3', 'list-4'])

        const page = await s.users.listUsers({ offset: 1, limit: 2 })
        expect(page.total).toBe(5)
        expect(page.users.map((u) => u.id)).toEqual(['list-1', 'list-2'])
        expect(page.users[0]).toMatchObject({ roles: ['admin'], permissions: ['users.manage'] })

        expect(await s.users.listUsers({ offset: 5, limit: 2 })).toEqual({ users: [], total: 5 })
        expect((await s.users.listUsers({ offset: 4, limit: 100 })).users.map((u) => u.id)).toEqual([
          'list-4',
        ])
      })

      it('listUsers filters by role and active, sorts by last login (never last) or username; updateUser renames', async () => {
        await s.users.defineRole('admin', [])
        const t = clock()
        await createUser({
          id: 'f-a',
          username: 'zed',
          usernameNormalized: 'zed',
          email: 'a@f.example',
          createdAt: t,
          roles: ['admin'],
        })
        await createUser({
          id: 'f-b',
          username: 'amy',
          usernameNormalized: 'amy',
          email: 'b@f.example',
          createdAt: t + 1,
          active: false,
        })
        await createUser({
          id: 'f-c',
          username: 'max',
          usernameNormalized: 'max',
          email: 'c@f.example',
          createdAt: t + 2,
        })
        await s.users.updateUser('f-a', { lastLoginAt: t + 10 })
        await s.users.updateUser('f-c', { lastLoginAt: t + 20 })
        const ids = async (q: Partial<Parameters<typeof s.users.listUsers>[0]>) => {
          const page = await s.users.listUsers({ offset: 0, limit: 10, ...q })
          return { ids: page.users.map((u) => u.id), total: page.total }
        }
        expect(await ids({ role: 'admin' })).toEqual({ ids: ['f-a'], total: 1 })
        expect(await ids({ active: false })).toEqual({ ids: ['f-b'], total: 1 })
        expect(await ids({ active: true, sort: 'last_login' })).toEqual({ ids: ['f-c', 'f-a'], total: 2 })
        expect(await ids({ sort: 'last_login' })).toEqual({ ids: ['f-c', 'f-a', 'f-b'], total: 3 })
        expect(await ids({ sort: 'username', limit: 2 })).toEqual({ ids: ['f-b', 'f-c'], total: 3 })
        expect(await ids({ role: "' OR 1=1--" })).toEqual({ ids: [], total: 0 })

        const renamed = await s.users.updateUser('f-c', { username: 'Maxine', usernameNormalized: 'maxine' })
        expect(renamed).toMatchObject({ username: 'Maxine', usernameNormalized: 'maxine' })
        expect((await s.users.getUserByUsername('maxine'))?.id).toBe('f-c')
        await expect(
          s.users.updateUser('f-b', { username: 'zed', usernameNormalized: 'zed' }),
        ).rejects.toMatchObject({
          code: expect.stringMatching(/CONFLICT|USERNAME_TAKEN/),
        })
      })

      it('listUsers q is a case-insensitive substring of email, username or name', async () => {
        await createUser({
          id: 'alice',
          email: 'alice@example.com',
          username: 'alice',
          name: 'Alice Liddell',
        })
        await createUser({ id: 'bob', email: 'bob@example.org', username: 'BobTheBuilder', name: null })
        await createUser({ id: 'carol', email: 'c@example.net', username: 'carol', name: 'Carol SMITH' })
        const ids = async (q: string) =>
          (await s.users.listUsers({ q, offset: 0, limit: 10 })).users.map((u) => u.id)

        expect(await ids('ALICE')).toEqual(['alice'])
        expect(await ids('thebuild')).toEqual(['bob'])
        expect(await ids('smith')).toEqual(['carol'])
        expect(await ids('EXAMPLE')).toEqual(['alice', 'bob', 'carol'])
        expect(await ids('.org')).toEqual(['bob'])
        expect(await ids('zzz')).toEqual([])
        expect(await ids('')).toEqual(['alice', 'bob', 'carol'])

        const page = await s.users.listUsers({ q: 'example', offset: 1, limit: 1 })
        expect(page).toMatchObject({ total: 3, users: [{ id: 'bob' }] })
      })

      it('listUsers treats %, _ and \\ in q as data, not wildcards', async () => {
        await createUser({ id: 'pct', name: '100% real' })
        await createUser({ id: 'und', name: 'under_score' })
        await createUser({ id: 'bsl', name: 'back\\slash' })
        await createUser({ id: 'plain', name: 'plain' })
        const ids = async (q: string) =>
          (await s.users.listUsers({ q, offset: 0, limit: 10 })).users.map((u) => u.id)

        expect(await ids('%')).toEqual(['pct'])
        expect(await ids('0% r')).toEqual(['pct'])
        expect(await ids('_')).toEqual(['und'])
        expect(await ids('\\')).toEqual(['bsl'])
        expect(await ids('k\\s')).toEqual(['bsl'])
        expect(await ids('pl_in')).toEqual([]) // `_` as a wildcard would match "plain"
        expect(await ids('p%n')).toEqual([]) // `%` as a wildcard would match "plain"
        expect(await ids('\\%')).toEqual([])
        expect((await s.users.listUsers({ q: '%', offset: 0, limit: 10 })).total).toBe(1)
      })

      it('listUsers treats SQL in q as data and copes with 10 KB strings', async () => {
        await createUser({ id: 'quote', name: "O'Brien'); DROP TABLE users;--" })
        const long = `${'x'.repeat(10 * 1024)}needle`
        await createUser({ id: 'long', name: long })

        for (const q of ["' OR 1=1--", "' OR '1'='1", '") OR 1=1 --', '%%%%', '; select 1;']) {
          expect(await s.users.listUsers({ q, offset: 0, limit: 10 })).toEqual({ users: [], total: 0 })
        }
        const quoted = await s.users.listUsers({ q: "'); drop table users;--", offset: 0, limit: 10 })
        expect(quoted.users.map((u) => u.id)).toEqual(['quote'])

        const byLong = await s.users.listUsers({ q: long.slice(-10 * 1024), offset: 0, limit: 10 })
        expect(byLong.users.map((u) => u.id)).toEqual(['long'])
        expect(byLong.users[0]?.name).toBe(long)
        expect((await s.users.listUsers({ q: '%'.repeat(10 * 1024), offset: 0, limit: 10 })).total).toBe(0)
        expect((await s.users.listUsers({ q: '_'.repeat(10 * 1024), offset: 0, limit: 10 })).total).toBe(0)
        expect((await s.users.listUsers({ offset: 0, limit: 10 })).total).toBe(2)
      })

      it('deleteUser deletes the user with its sessions, identities, roles and API keys', async () => {
        await s.users.defineRole('admin', ['users.manage'])
        const user = await createUser({ roles: ['admin'] })
        const other = await createUser()
        const session = newSession(user.id)
        const otherSession = newSession(other.id)
        const key = newApiKey(user.id)
        await s.sessions.createSession(session)
        await s.sessions.createSession(otherSession)
        await s.users.linkIdentity(user.id, 'github', 'gone', clock())
        await s.apiKeys.createApiKey(key)
        await s.audit.appendAudit(newEvent({ userId: user.id }))

        expect(await s.users.deleteUser(user.id)).toBe(true)
        expect(await s.users.getUserById(user.id)).toBeNull()
        expect(await s.sessions.getSessionWithUser(session.id)).toBeNull()
        expect(await s.sessions.listUserSessions(user.id)).toEqual([])
        expect(await s.users.getUserByIdentity('github', 'gone')).toBeNull()
        expect(await s.apiKeys.getApiKeyWithUser(key.id)).toBeNull()
        expect(await s.apiKeys.listApiKeys(user.id)).toEqual([])
        expect(await s.users.deleteUser(user.id)).toBe(false)

        // Others are untouched, and the audit trail outlives the user.
        expect((await s.sessions.getSessionWithUser(otherSession.id))?.user.id).toBe(other.id)
        expect((await s.audit.listAudit({ userId: user.id, offset: 0, limit: 10 })).total).toBe(1)

        // A new user with the same id and email starts clean.
        const again = await createUser({ id: user.id, email: user.email, roles: [] })
        expect(again).toMatchObject({ roles: [], permissions: [] })
        await s.users.linkIdentity(again.id, 'github', 'gone', clock())
      })
    })

    describe('sessions', () => {
      it('getSessionWithUser returns the session and its user with roles and permissions', async () => {
        await s.users.defineRole('editor', ['posts.write', 'posts.read'])
        const user = await createUser({ roles: ['editor', 'user'] })
        const remembered = newSession(user.id, { remember: true })
        const bare = newSession(user.id, { ip: null, userAgent: null })
        await s.sessions.createSession(remembered)
        await s.sessions.createSession(bare)

        expect(await s.sessions.getSessionWithUser(remembered.id)).toEqual({ session: remembered, user })
        expect(user.permissions).toEqual(['posts.read', 'posts.write'])
        expect((await s.sessions.getSessionWithUser(bare.id))?.session).toEqual(bare)
        expect(await s.sessions.getSessionWithUser('unknown')).toBeNull()
        expect(await s.sessions.getSessionWithUser("' OR 1=1--")).toBeNull()
      })

      it('getSessionWithUser sees role changes at once (nothing cached)', async () => {
        await s.users.defineRole('admin', ['users.manage'])
        const user = await createUser({ roles: [] })
        const session = newSession(user.id)
        await s.sessions.createSession(session)
        expect((await s.sessions.getSessionWithUser(session.id))?.user.roles).toEqual([])
        await s.users.setRoles(user.id, ['admin'])
        expect((await s.sessions.getSessionWithUser(session.id))?.user).toMatchObject({
          roles: ['admin'],
          permissions: ['users.manage'],
        })
        await s.users.updateUser(user.id, { active: false })
        expect((await s.sessions.getSessionWithUser(session.id))?.user.active).toBe(false)
      })

      it('touchSession moves lastSeenAt and expiresAt only; an unknown id is a no-op', async () => {
        const user = await createUser()
        const session = newSession(user.id)
        await s.sessions.createSession(session)
        clock.advance(10 * 60 * SECOND)
        await s.sessions.touchSession(session.id, clock(), clock() + HOUR)
        expect((await s.sessions.getSessionWithUser(session.id))?.session).toEqual({
          ...session,
          lastSeenAt: clock(),
          expiresAt: clock() + HOUR,
        })
        await s.sessions.touchSession('unknown', clock(), clock() + HOUR)
        expect(await s.sessions.getSessionWithUser('unknown')).toBeNull()
        expect(await s.sessions.listUserSessions(user.id)).toHaveLength(1)
      })

      it('deleteSession deletes one session; an unknown id is a no-op', async () => {
        const user = await createUser()
        const a = newSession(user.id)
        const b = newSession(user.id)
        await s.sessions.createSession(a)
        await s.sessions.createSession(b)
        await s.sessions.deleteSession(a.id)
        expect(await s.sessions.getSessionWithUser(a.id)).toBeNull()
        expect((await s.sessions.getSessionWithUser(b.id))?.session).toEqual(b)
        expect((await s.sessions.listUserSessions(user.id)).map((x) => x.id)).toEqual([b.id])
        await expect(s.sessions.deleteSession('unknown')).resolves.toBeUndefined()
      })

      it("deleteUserSessions deletes a user's sessions, optionally but one, and counts them", async () => {
        const alice = await createUser()
        const bob = await createUser()
        const [a1, a2, a3] = [newSession(alice.id), newSession(alice.id), newSession(alice.id)]
        const b1 = newSession(bob.id)
        for (const x of [a1, a2, a3, b1]) await s.sessions.createSession(x)

        expect(await s.sessions.deleteUserSessions(alice.id, a2.id)).toBe(2)
        expect((await s.sessions.listUserSessions(alice.id)).map((x) => x.id)).toEqual([a2.id])
        expect(await s.sessions.getSessionWithUser(a1.id)).toBeNull()
        expect(await s.sessions.getSessionWithUser(a3.id)).toBeNull()
        expect((await s.sessions.getSessionWithUser(b1.id))?.session).toEqual(b1)

        expect(await s.sessions.deleteUserSessions(alice.id)).toBe(1)
        expect(await s.sessions.listUserSessions(alice.id)).toEqual([])
        expect(await s.sessions.deleteUserSessions(alice.id)).toBe(0)
        expect(await s.sessions.deleteUserSessions('nobody')).toBe(0)
        expect(await s.sessions.listUserSessions(bob.id)).toEqual([b1])
      })

      it('setSessionData stores, replaces and removes the data getSessionWithUser returns', async () => {
        const user = await createUser()
        const session = newSession(user.id)
        await s.sessions.createSession(session)
        expect((await s.sessions.getSessionWithUser(session.id))?.session.dataJson).toBeUndefined()
        // Unicode, quotes and a size near the default limit survive the round trip.
        const big = JSON.stringify({ cart: ['é', '"q"', '💡'], note: 'x'.repeat(16_000) })
        await s.sessions.setSessionData(session.id, big)
        expect((await s.sessions.getSessionWithUser(session.id))?.session).toEqual({
          ...session,
          dataJson: big,
        })
        await s.sessions.setSessionData(session.id, '{"a":1}')
        clock.advance(60 * SECOND)
        await s.sessions.touchSession(session.id, clock(), clock() + HOUR)
        expect((await s.sessions.getSessionWithUser(session.id))?.session.dataJson).toBe('{"a":1}')
        // Lists leave the data out.
        expect((await s.sessions.listUserSessions(user.id))[0]?.dataJson).toBeUndefined()
        await s.sessions.setSessionData(session.id, null)
        expect((await s.sessions.getSessionWithUser(session.id))?.session.dataJson).toBeUndefined()
      })

      it('session data ends with its session, and a write to an ended session brings nothing back', async () => {
        const user = await createUser()
        const a = newSession(user.id, { dataJson: '{"k":"created with data"}' })
        const b = newSession(user.id)
        await s.sessions.createSession(a)
        await s.sessions.createSession(b)
        expect((await s.sessions.getSessionWithUser(a.id))?.session.dataJson).toBe(
          '{"k":"created with data"}',
        )
        await s.sessions.setSessionData(b.id, '{"k":"b"}')
        await s.sessions.deleteSession(a.id)
        await s.sessions.setSessionData(a.id, '{"k":"late"}')
        await s.sessions.setSessionData('unknown', '{"k":"x"}')
        expect(await s.sessions.getSessionWithUser(a.id)).toBeNull()
        expect(await s.sessions.getSessionWithUser('unknown')).toBeNull()
        expect((await s.sessions.listUserSessions(user.id)).map((x) => x.id)).toEqual([b.id])
        await s.sessions.deleteUserSessions(user.id)
        await s.sessions.setSessionData(b.id, '{"k":"late"}')
        expect(await s.sessions.getSessionWithUser(b.id)).toBeNull()
      })

      it('listUserSessions lists newest activity first', async () => {
        const user = await createUser()
        const other = await createUser()
        const t = clock()
        const old = newSession(user.id, { createdAt: t, lastSeenAt: t })
        const mid = newSession(user.id, { createdAt: t + 1, lastSeenAt: t + 60 * SECOND })
        const fresh = newSession(user.id, { createdAt: t + 2, lastSeenAt: t + 120 * SECOND })
        for (const x of [mid, old, fresh]) await s.sessions.createSession(x)
        await s.sessions.createSession(newSession(other.id))

        expect((await s.sessions.listUserSessions(user.id)).map((x) => x.id)).toEqual([
          fresh.id,
          mid.id,
          old.id,
        ])
        await s.sessions.touchSession(old.id, t + 180 * SECOND, t + HOUR)
        const listed = await s.sessions.listUserSessions(user.id)
        expect(listed.map((x) => x.id)).toEqual([old.id, fresh.id, mid.id])
        expect(listed[0]).toEqual({ ...old, lastSeenAt: t + 180 * SECOND, expiresAt: t + HOUR })
        expect(await s.sessions.listUserSessions('nobody')).toEqual([])
      })
    })

    describe('key-value', () => {
      it('set, get, overwrite and delete', async () => {
        expect(await s.kv.get('missing')).toBeNull()
        await s.kv.set('k', 'v1', 60)
        expect(await s.kv.get('k')).toBe('v1')
        await s.kv.set('k', 'v2', 60)
        expect(await s.kv.get('k')).toBe('v2')
        await s.kv.delete('k')
        expect(await s.kv.get('k')).toBeNull()
        await expect(s.kv.delete('k')).resolves.toBeUndefined()
      })

      it('keys and values are data: quotes, globs, unicode, 10 KB', async () => {
        const pairs: [string, string][] = [
          ["' OR 1=1--", 'sql'],
          ['refresh:*', 'glob'],
          ['oauth state:[a-z]?', 'brackets'],
          ['ключ🔑', 'значение🔒'],
          ['big', 'v'.repeat(10 * 1024)],
          ['json', JSON.stringify({ a: [1, 2], b: '"quoted"' })],
        ]
        for (const [k, v] of pairs) await s.kv.set(k, v, 60)
        for (const [k, v] of pairs) expect(await s.kv.get(k)).toBe(v)
        expect(await s.kv.get('refresh:')).toBeNull()
        expect(await s.kv.take('refresh:*')).toBe('glob')
        expect(await s.kv.get("' OR 1=1--")).toBe('sql')
      })

      it('take returns the value once', async () => {
        await s.kv.set('once', 'token', 60)
        expect(await s.kv.take('once')).toBe('token')
        expect(await s.kv.take('once')).toBeNull()
        expect(await s.kv.get('once')).toBeNull()
        expect(await s.kv.take('never')).toBeNull()
      })

      it('20 concurrent takes: exactly one gets the value', async () => {
        await s.kv.set('contested', 'prize', 60)
        const results = await Promise.all(Array.from({ length: 20 }, () => s.kv.take('contested')))
        expect(results.filter((r) => r === 'prize')).toHaveLength(1)
        expect(results.filter((r) => r === null)).toHaveLength(19)
      })

      it('increment starts at 1 and counts per key', async () => {
        expect(await s.kv.increment('hits', 60)).toBe(1)
        expect(await s.kv.increment('hits', 60)).toBe(2)
        expect(await s.kv.increment('hits', 60)).toBe(3)
        expect(await s.kv.increment('other', 60)).toBe(1)
        expect(await s.kv.get('hits')).toBe('3')
      })

      it('50 concurrent increments: none lost', async () => {
        const results = await Promise.all(Array.from({ length: 50 }, () => s.kv.increment('burst', 60)))
        expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
        expect(await s.kv.get('burst')).toBe('50')
      })

      it('setIfAbsent stores only when the key is absent', async () => {
        expect(await s.kv.setIfAbsent('lock', 'first', 60)).toBe(true)
        expect(await s.kv.setIfAbsent('lock', 'second', 60)).toBe(false)
        expect(await s.kv.get('lock')).toBe('first')
        await s.kv.delete('lock')
        expect(await s.kv.setIfAbsent('lock', 'third', 60)).toBe(true)
        expect(await s.kv.get('lock')).toBe('third')
      })

      it('20 concurrent setIfAbsent: exactly one stores', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => s.kv.setIfAbsent('claim', `v${i}`, 60)),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        expect(await s.kv.get('claim')).toBe(`v${results.indexOf(true)}`)
      })

      if (kvFollowsClock) {
        it('entries expire after their TTL and are then invisible to get and take', async () => {
          await s.kv.set('short', 'v', 10)
          await s.kv.set('taken', 'v', 10)
          clock.advance(10 * SECOND - 1)
          expect(await s.kv.get('short')).toBe('v')
          clock.advance(1)
          expect(await s.kv.get('short')).toBeNull()
          expect(await s.kv.take('taken')).toBeNull()
          await s.kv.set('short', 'again', 10)
          expect(await s.kv.get('short')).toBe('again')
        })

        it('set replaces the TTL as well as the value', async () => {
          await s.kv.set('k', 'v1', 10)
          clock.advance(8 * SECOND)
          await s.kv.set('k', 'v2', 10)
          clock.advance(8 * SECOND)
          expect(await s.kv.get('k')).toBe('v2')
          await s.kv.set('k', 'v3', 1)
          clock.advance(SECOND)
          expect(await s.kv.get('k')).toBeNull()
        })

        it('increment keeps the window of the first increment and restarts after it', async () => {
          expect(await s.kv.increment('window', 10)).toBe(1)
          clock.advance(6 * SECOND)
          expect(await s.kv.increment('window', 10)).toBe(2)
          clock.advance(4 * SECOND) // 10 s after the first increment: the window is over
          expect(await s.kv.get('window')).toBeNull()
          expect(await s.kv.increment('window', 10)).toBe(1)
          clock.advance(9 * SECOND)
          expect(await s.kv.increment('window', 10)).toBe(2)
        })

        it('setIfAbsent treats an expired entry as absent', async () => {
          expect(await s.kv.setIfAbsent('lease', 'a', 5)).toBe(true)
          clock.advance(5 * SECOND - 1)
          expect(await s.kv.setIfAbsent('lease', 'b', 5)).toBe(false)
          clock.advance(1)
          expect(await s.kv.setIfAbsent('lease', 'c', 5)).toBe(true)
          expect(await s.kv.get('lease')).toBe('c')
        })

        it('expired entries do not linger after a purge cycle', async () => {
          for (let i = 0; i < 5; i++) await s.kv.set(`old-${i}`, 'v', 1)
          clock.advance(2 * HOUR)
          await s.kv.set('new', 'v', 60) // writes may purge expired entries
          for (let i = 0; i < 5; i++) expect(await s.kv.take(`old-${i}`)).toBeNull()
          expect(await s.kv.get('new')).toBe('v')
        })
      }
    })

    describe('audit', () => {
      it('lists events newest first with every field', async () => {
        const t = clock()
        const first = newEvent({ at: t, type: 'signup', userId: 'u1', ip: '198.51.100.1' })
        const last = newEvent({
          at: t + 2 * SECOND,
          type: 'login.failed',
          userId: 'u1',
          actorId: 'admin-1',
          ip: '2001:db8::1',
          userAgent: 'curl/8',
          reason: 'INVALID_CREDENTIALS',
          data: { attempt: 3, nested: { ok: false, list: ['a', 'ü'] } },
        })
        const middle = newEvent({ at: t + SECOND, type: 'login.succeeded', userId: 'u2' })
        for (const e of [middle, last, first]) await s.audit.appendAudit(e)
        expect(await s.audit.listAudit({ offset: 0, limit: 10 })).toEqual({
          events: [last, middle, first],
          total: 3,
        })
      })

      it('filters by type and by user, alone and together, with totals', async () => {
        const t = clock()
        const events = [
          newEvent({ at: t + 1, type: 'login.failed', userId: 'u1' }),
          newEvent({ at: t + 2, type: 'login.failed', userId: 'u2' }),
          newEvent({ at: t + 3, type: 'login.succeeded', userId: 'u1' }),
          newEvent({ at: t + 4, type: 'login.failed', userId: null }),
        ]
        for (const e of events) await s.audit.appendAudit(e)
        const ids = async (q: { type?: string; userId?: string }) => {
          const page = await s.audit.listAudit({ ...q, offset: 0, limit: 10 })
          return { ids: page.events.map((e) => e.id), total: page.total }
        }
        const [e0, e1, e2, e3] = events.map((e) => e.id)
        expect(await ids({ type: 'login.failed' })).toEqual({ ids: [e3, e1, e0], total: 3 })
        expect(await ids({ userId: 'u1' })).toEqual({ ids: [e2, e0], total: 2 })
        expect(await ids({ type: 'login.failed', userId: 'u1' })).toEqual({ ids: [e0], total: 1 })
        expect(await ids({ type: "' OR 1=1--" })).toEqual({ ids: [], total: 0 })
      })

      it('filters by a time range [from, to) and scrubs a deleted user’s personal data, keeping the events', async () => {
        const t = clock()
        const about = newEvent({
          at: t + 1,
          type: 'signup',
          userId: 'gone',
          ip: '198.51.100.7',
          userAgent: 'ua',
          data: { a: 1 },
        })
        const by = newEvent({
          at: t + 2,
          type: 'user.roles',
          userId: 'other',
          actorId: 'gone',
          ip: '198.51.100.7',
          userAgent: 'ua',
          data: { roles: ['x'] },
        })
        const unrelated = newEvent({
          at: t + 3,
          type: 'signup',
          userId: 'other',
          ip: '203.0.113.9',
          userAgent: 'ub',
        })
        for (const e of [about, by, unrelated]) await s.audit.appendAudit(e)
        const range = await s.audit.listAudit({ from: t + 2, to: t + 3, offset: 0, limit: 10 })
        expect(range.events.map((e) => e.id)).toEqual([by.id])
        expect(range.total).toBe(1)
        expect(await s.audit.scrubUser('gone')).toBe(2)
        const all = await s.audit.listAudit({ offset: 0, limit: 10 })
        expect(all.total).toBe(3)
        const byId = new Map(all.events.map((e) => [e.id, e]))
        expect(byId.get(about.id)).toMatchObject({ userId: 'gone', ip: null, userAgent: null, data: null })
        expect(byId.get(by.id)).toMatchObject({ ip: null, userAgent: null, data: { roles: ['x'] } })
        expect(byId.get(unrelated.id)).toEqual(unrelated)
      })

      it('paginates newest first with a total', async () => {
        const t = clock()
        const events = Array.from({ length: 25 }, (_, i) => newEvent({ at: t + i * SECOND }))
        for (const e of events) await s.audit.appendAudit(e)
        const page = await s.audit.listAudit({ offset: 10, limit: 10 })
        expect(page.total).toBe(25)
        expect(page.events.map((e) => e.at)).toEqual(
          Array.from({ length: 10 }, (_, i) => t + (14 - i) * SECOND),
        )
        expect((await s.audit.listAudit({ offset: 20, limit: 10 })).events).toHaveLength(5)
        expect(await s.audit.listAudit({ offset: 30, limit: 10 })).toEqual({ events: [], total: 25 })
      })
    })

    describe('signing keys', () => {
      it('adds keys and lists them oldest first', async () => {
        expect(await s.signingKeys.listSigningKeys()).toEqual([])
        const t = clock()
        const newer = newSigningKey({ createdAt: t + SECOND, alg: 'ES256' })
        const older = newSigningKey({ createdAt: t, alg: 'RS256' })
        await s.signingKeys.addSigningKey(newer)
        await s.signingKeys.addSigningKey(older)
        expect(await s.signingKeys.listSigningKeys()).toEqual([older, newer])
      })

      it('retires a key (retiredAt and expiresAt), leaving the others', async () => {
        const a = newSigningKey()
        const b = newSigningKey({ createdAt: clock() + 1 })
        await s.signingKeys.addSigningKey(a)
        await s.signingKeys.addSigningKey(b)
        await s.signingKeys.retireSigningKey(a.kid, clock() + HOUR, clock() + 2 * HOUR)
        expect(await s.signingKeys.listSigningKeys()).toEqual([
          { ...a, retiredAt: clock() + HOUR, expiresAt: clock() + 2 * HOUR },
          b,
        ])
        await expect(s.signingKeys.retireSigningKey('unknown', 1, 2)).resolves.toBeUndefined()
      })

      it('deletes one key; an unknown kid is a no-op', async () => {
        const a = newSigningKey()
        const b = newSigningKey({ createdAt: clock() + 1 })
        await s.signingKeys.addSigningKey(a)
        await s.signingKeys.addSigningKey(b)
        await s.signingKeys.deleteSigningKey(a.kid)
        await s.signingKeys.deleteSigningKey('unknown')
        expect(await s.signingKeys.listSigningKeys()).toEqual([b])
      })
    })

    describe('API keys', () => {
      it('getApiKeyWithUser returns the key and its owner with roles; null when unknown', async () => {
        await s.users.defineRole('admin', ['users.manage'])
        const user = await createUser({ roles: ['admin'] })
        const key = newApiKey(user.id, { expiresAt: clock() + HOUR, scopes: [] })
        await s.apiKeys.createApiKey(key)
        expect(await s.apiKeys.getApiKeyWithUser(key.id)).toEqual({ key, user })
        expect(user.permissions).toEqual(['users.manage'])
        expect(await s.apiKeys.getApiKeyWithUser('unknown')).toBeNull()
      })

      it("lists a user's keys oldest first", async () => {
        const alice = await createUser()
        const bob = await createUser()
        const t = clock()
        const second = newApiKey(alice.id, { createdAt: t + SECOND, name: 'second' })
        const first = newApiKey(alice.id, { createdAt: t, name: 'first', scopes: ['a', 'b', 'c'] })
        await s.apiKeys.createApiKey(second)
        await s.apiKeys.createApiKey(first)
        await s.apiKeys.createApiKey(newApiKey(bob.id))
        expect(await s.apiKeys.listApiKeys(alice.id)).toEqual([first, second])
        expect(await s.apiKeys.listApiKeys('nobody')).toEqual([])
      })

      it("deleteApiKey deletes only the owner's key", async () => {
        const alice = await createUser()
        const bob = await createUser()
        const key = newApiKey(alice.id)
        await s.apiKeys.createApiKey(key)
        expect(await s.apiKeys.deleteApiKey(bob.id, key.id)).toBe(false)
        expect(await s.apiKeys.getApiKeyWithUser(key.id)).not.toBeNull()
        expect(await s.apiKeys.deleteApiKey(alice.id, key.id)).toBe(true)
        expect(await s.apiKeys.getApiKeyWithUser(key.id)).toBeNull()
        expect(await s.apiKeys.deleteApiKey(alice.id, key.id)).toBe(false)
      })

      it('touchApiKey records the last use', async () => {
        const user = await createUser()
        const key = newApiKey(user.id)
        await s.apiKeys.createApiKey(key)
        await s.apiKeys.touchApiKey(key.id, clock() + 42)
        expect((await s.apiKeys.getApiKeyWithUser(key.id))?.key).toEqual({ ...key, lastUsedAt: clock() + 42 })
        await expect(s.apiKeys.touchApiKey('unknown', 1)).resolves.toBeUndefined()
      })
    })
  })
}
