/**
 * A test-only sign-in method, written against the module contract alone (src/core/module.ts):
 * a user sets a secret number while signed in, then signs in with login + number. It
 * contributes two routes, an error code, an audit type, a key-value prefix and a migration,
 * and issues its tokens through the sign-in pipeline, so the core's gates apply to it.
 */
import { createHash } from 'node:crypto'
import { type Kysely, sql } from 'kysely'
import { readJsonObject } from '../../src/core/body.ts'
import { AuthError, errorResponse } from '../../src/core/errors.ts'
import type { AuthModule } from '../../src/core/module.ts'
import { signIn } from '../../src/core/signin.ts'

declare module '../../src/core/errors.ts' {
  interface ModuleErrorCodes {
    MAGIC_NUMBER_WRONG: true
  }
}
declare module '../../src/core/audit.ts' {
  interface ModuleAuditTypes {
    'magic.login': true
  }
}

const digest = (n: string) => createHash('sha256').update(n).digest('hex')
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

// biome-ignore lint/suspicious/noExplicitAny: the module's own table is not in the core's schema type
export function magicNumber(options: { db: Kysely<any>; maxWrong?: number }): AuthModule {
  const { db } = options
  const maxWrong = options.maxWrong ?? 3
  return {
    id: 'magic-number',
    errors: { MAGIC_NUMBER_WRONG: [401, 'That is not the number.'] },
    auditTypes: ['magic.login'],
    kvPrefix: 'magic:',
    migrations: {
      '0001_magic_numbers': {
        async up(kysely) {
          await (kysely as typeof db).schema
            .createTable('magic_numbers')
            .addColumn('user_id', 'text', (c) => c.primaryKey())
            .addColumn('digest', 'text', (c) => c.notNull())
            .execute()
        },
      },
    },
    routes: [
      {
        method: 'POST',
        kind: 'api',
        path: '/auth/magic/setup',
        async handle({ who, request }) {
          if (!who) return errorResponse(new AuthError('UNAUTHENTICATED'))
          const body = await readJsonObject(request)
          const number = String(body.number ?? '')
          if (!/^\d{4,12}$/.test(number))
            throw new AuthError('VALIDATION_FAILED', { fields: { number: '4 to 12 digits.' } })
          await sql`insert into magic_numbers (user_id, digest) values (${who.user.id}, ${digest(number)})
            on conflict (user_id) do update set digest = excluded.digest`.execute(db)
          return new Response(null, { status: 204 })
        },
      },
      {
        method: 'POST',
        kind: 'api',
        path: '/auth/magic',
        async handle({ auth, request, ctx }) {
          const body = await readJsonObject(request)
          const user = await auth.findUserByLogin(String(body.login ?? ''))
          const wrongKey = `magic:wrong:${user?.id ?? 'none'}`
          if (Number((await auth.stores.kv.get(wrongKey)) ?? 0) >= maxWrong)
            throw new AuthError('RATE_LIMITED', { retryAfter: 900 })
          const row = user
            ? (
                await sql<{
                  digest: string
                }>`select digest from magic_numbers where user_id = ${user.id}`.execute(db)
              ).rows[0]
            : undefined
          if (!user || !row || row.digest !== digest(String(body.number ?? ''))) {
            await auth.stores.kv.increment(wrongKey, 900)
            throw new AuthError('MAGIC_NUMBER_WRONG')
          }
          const result = await signIn(
            auth,
            { user, method: 'magic-number', amr: ['otp'] },
            { kind: 'tokens' },
            ctx,
          )
          if (result.status === 'pending') return json({ status: 'pending' }, 202)
          await auth.audit({ type: 'magic.login', userId: user.id, ctx })
          return json(result.tokens)
        },
      },
    ],
  }
}
