import { type ExpressionBuilder, sql } from 'kysely'
import type { UserListQuery, UserPage } from '../contracts.ts'
import type { Database } from './schema.ts'
import { type Db, escapeLike, userColumns, usersFromRows } from './user-rows.ts'

/** listUsers of the SQL stores: search, role and status filters, three orders (contracts.ts). */
export async function listUsersSql(db: Db, query: UserListQuery): Promise<UserPage> {
  const { q, role, active, sort = 'created', offset, limit } = query
  const matches = (eb: ExpressionBuilder<Database, 'users'>) => {
    const conditions = []
    if (q) {
      const pattern = `%${escapeLike(q)}%`
      const like = (column: 'email' | 'username' | 'name') =>
        sql<boolean>`lower(${eb.ref(column)}) like lower(${pattern}) escape '\\'`
      conditions.push(eb.or([like('email'), like('username'), like('name')]))
    }
    if (active !== undefined) conditions.push(eb('active', '=', active ? 1 : 0))
    if (role !== undefined)
      conditions.push(
        eb.exists(
          eb
            .selectFrom('user_roles as fr')
            .select('fr.user_id')
            .whereRef('fr.user_id', '=', 'users.id')
            .where('fr.role', '=', role),
        ),
      )
    return conditions.length > 0 ? eb.and(conditions) : eb.lit(true)
  }
  const counted = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .where(matches)
    .executeTakeFirstOrThrow()
  // The same order inside (which page) and outside (the joined rows of that page).
  const order = (p: string) => {
    const col = (name: string) => sql.ref(`${p}${name}`)
    if (sort === 'last_login')
      return [sql`${col('last_login_at')} is null`, sql`${col('last_login_at')} desc`, col('id')]
    if (sort === 'username') return [col('username_normalized'), col('id')]
    return [col('created_at'), col('id')]
  }
  let inner = db.selectFrom('users').selectAll().where(matches)
  for (const e of order('')) inner = inner.orderBy(e)
  let outer = db
    .selectFrom(inner.limit(limit).offset(offset).as('u'))
    .leftJoin('user_roles as ur', 'ur.user_id', 'u.id')
    .leftJoin('role_permissions as rp', 'rp.role', 'ur.role')
    .select(userColumns)
  for (const e of order('u.')) outer = outer.orderBy(e)
  const rows = await outer.execute()
  return { users: usersFromRows(rows), total: Number(counted.total) }
}
