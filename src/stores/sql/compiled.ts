import type { Compilable, CompiledQuery, Kysely } from 'kysely'

/**
 * A query on the hot path, built and compiled by Kysely once, then executed with fresh
 * parameters: building and compiling the session join cost more than running it. The
 * builder receives placeholder values and must use each parameter exactly once, in order.
 */
export function compileOnce<Params extends unknown[], Row>(
  // biome-ignore lint/suspicious/noExplicitAny: works on any Kysely instance
  db: Kysely<any>,
  build: (...placeholders: Params) => Compilable<Row>,
  placeholders: Params,
): (...params: Params) => Promise<Row[]> {
  let compiled: CompiledQuery<Row> | null = null
  return async (...params) => {
    compiled ??= build(...placeholders).compile()
    if (compiled.parameters.length !== params.length) throw new Error('compileOnce: parameter count mismatch')
    const result = await db.executeQuery<Row>({ ...compiled, parameters: params })
    return result.rows
  }
}
