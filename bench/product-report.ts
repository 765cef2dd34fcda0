/** The product table of `npm run bench`: rows, ratios within the run, and the issue-12 targets. */
import type { LoadResult } from './load.ts'
import type { EngineRows, FloodRows, RouteName } from './product.ts'

const int = (n: number) => Math.round(n).toLocaleString('en-US')
const ms = (n: number) => n.toFixed(2)
const times = (n: number) => `${n.toFixed(2)}x`
const best = (rs: LoadResult[]) => rs.reduce((a, b) => (b.okPerSecond > a.okPerSecond ? b : a))
const lowestP99 = <T extends { gets: LoadResult }>(rs: T[]) =>
  rs.reduce((a, b) => (b.gets.ok.p99 < a.gets.ok.p99 ? b : a))
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')

function nonOk(r: LoadResult): string {
  const parts = Object.entries(r.statusCodes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, n]) => `${code}: ${int(n)}`)
  if (r.errors) parts.push(`errors: ${int(r.errors)}`)
  return parts.length ? parts.join(', ') : '0'
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const right = (i: number) => i >= 1 && i <= 3
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

const LABEL: Record<RouteName, string> = {
  healthz: 'GET /healthz',
  session: 'GET /api/me, session cookie',
  bearer: 'GET /api/me, bearer (revocation on)',
  apiKey: 'GET /api/me, API key',
}

type Targets = Partial<Record<RouteName, number>>
export const SQLITE_TARGETS: Targets = { healthz: 0.8, session: 0.6, bearer: 0.5 }
export const PG_TARGETS: Targets = { healthz: 0.8, session: 0.5, bearer: 0.5 }

export interface Ratio {
  name: string
  value: number
  target?: string
  met?: boolean
}

/** Rows of one engine block; pushes its ratios. */
function engineBlock(title: string, e: EngineRows | { skipped: string }, targets: Targets, ratios: Ratio[]) {
  if ('skipped' in e) return [[`${title}`, 'skipped', '', '', '', '', '', e.skipped]]
  const bare = best(e.bare)
  // The best round's server CPU per answer: what the server spent, apart from the load generator.
  const rounds = (rs: LoadResult[]) => {
    const cpu = best(rs).serverCpuMicros
    return `${rs.map((r) => int(r.okPerSecond)).join(', ')}${cpu === undefined ? '' : `; server ${cpu.toFixed(1)} µs/req`}`
  }
  const rows = [
    [
      `${title}: bare Hono, GET /healthz`,
      int(bare.okPerSecond),
      ms(bare.ok.p50),
      ms(bare.ok.p99),
      nonOk(bare),
      '',
      '',
      rounds(e.bare),
    ],
  ]
  const withHeaders = best(e.bareWithHeaders)
  rows.push([
    `${title}: bare Hono + the same security headers`,
    int(withHeaders.okPerSecond),
    ms(withHeaders.ok.p50),
    ms(withHeaders.ok.p99),
    nonOk(withHeaders),
    `${times(withHeaders.okPerSecond / bare.okPerSecond)} of bare`,
    '',
    rounds(e.bareWithHeaders),
  ])
  for (const [route, results] of Object.entries(e.routes) as [RouteName, LoadResult[]][]) {
    const r = best(results)
    const ratio = r.okPerSecond / bare.okPerSecond
    const target = targets[route]
    const goal = target === undefined ? '' : `>= ${target}x ${verdict(ratio >= target)}`
    ratios.push({
      name: `${title} ${LABEL[route]} / bare`,
      value: ratio,
      ...(target === undefined ? {} : { target: `>= ${target}x`, met: ratio >= target }),
    })
    if (route === 'healthz')
      ratios.push({
        name: `${title} GET /healthz / bare with the same headers`,
        value: r.okPerSecond / withHeaders.okPerSecond,
      })
    rows.push([
      `${title}: serve, ${LABEL[route]}`,
      int(r.okPerSecond),
      ms(r.ok.p50),
      ms(r.ok.p99),
      nonOk(r),
      `${times(ratio)} of bare`,
      goal,
      rounds(results),
    ])
  }
  return rows
}

function floodBlock(f: FloodRows, ratios: Ratio[]): string[][] {
  const floodAlone = best(f.floodAlone)
  const limit = f.hashLimit.reduce((a, b) => (b.perSecond > a.perSecond ? b : a))
  const logins = floodAlone.okPerSecond
  const loginRatio = logins / limit.perSecond
  const quiet = lowestP99(f.quiet)
  const during = lowestP99(f.during)
  const quietBest = f.quiet.reduce((a, b) => (b.gets.okPerSecond > a.gets.okPerSecond ? b : a))
  const duringBest = f.during.reduce((a, b) => (b.gets.okPerSecond > a.gets.okPerSecond ? b : a))
  const p99Ratio = during.gets.ok.p99 / quiet.gets.ok.p99
  const rpsRatio = duringBest.gets.okPerSecond / quietBest.gets.okPerSecond
  ratios.push(
    { name: 'logins/s / hashing limit', value: loginRatio, target: '>= 0.8x', met: loginRatio >= 0.8 },
    {
      name: 'session GET p99, during login flood / quiet',
      value: p99Ratio,
      target: '< 2x',
      met: p99Ratio < 2,
    },
    {
      name: 'session GET req/s, during login flood / quiet',
      value: rpsRatio,
      target: '>= 0.8x',
      met: rpsRatio >= 0.8,
    },
  )
  const loop = (l: { p99: number; max: number }) => `loop delay p99 ${ms(l.p99)} ms, max ${ms(l.max)} ms`
  const refusals = (r: LoadResult) =>
    r.other.count === 0 ? 'no refusals' : `refusals p50/p99 ${ms(r.other.p50)}/${ms(r.other.p99)} ms`
  return [
    [
      `hashing limit: password checks/s (concurrency ${limit.concurrency}, no HTTP)`,
      int(limit.perSecond),
      '',
      '',
      '',
      '',
      '',
      f.hashLimit.map((h) => int(h.perSecond)).join(', '),
    ],
    [
      `serve SQLite: POST /api/auth/login flood alone: logins/s`,
      int(logins),
      ms(floodAlone.ok.p50),
      ms(floodAlone.ok.p99),
      nonOk(floodAlone),
      `${times(loginRatio)} of limit`,
      `>= 0.8x ${verdict(loginRatio >= 0.8)}`,
      `${f.floodAlone.map((r) => int(r.okPerSecond)).join(', ')}; ${refusals(floodAlone)}`,
    ],
    [
      `serve SQLite: session GET /api/me, quiet`,
      int(quietBest.gets.okPerSecond),
      ms(quiet.gets.ok.p50),
      ms(quiet.gets.ok.p99),
      nonOk(quiet.gets),
      '',
      '',
      loop(quiet.loop),
    ],
    [
      `serve SQLite: session GET /api/me, during the flood`,
      int(duringBest.gets.okPerSecond),
      ms(during.gets.ok.p50),
      ms(during.gets.ok.p99),
      nonOk(during.gets),
      `p99 ${times(p99Ratio)}, req/s ${times(rpsRatio)}`,
      `< 2x ${verdict(p99Ratio < 2)}; >= 0.8x ${verdict(rpsRatio >= 0.8)}`,
      loop(during.loop),
    ],
    [
      `serve SQLite: the flood meanwhile: logins/s`,
      int(during.flood.okPerSecond),
      ms(during.flood.ok.p50),
      ms(during.flood.ok.p99),
      nonOk(during.flood),
      '',
      '',
      refusals(during.flood),
    ],
  ]
}

export function productReport(
  sqlite: EngineRows,
  pg: EngineRows | { skipped: string },
  flood: FloodRows,
): { text: string; ratios: Ratio[] } {
  const ratios: Ratio[] = []
  const rows = [
    ...engineBlock('SQLite', sqlite, SQLITE_TARGETS, ratios),
    ...engineBlock('PG+Redis', pg, PG_TARGETS, ratios),
    ...floodBlock(flood, ratios),
  ]
  const header = ['product case', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'ratio', 'target', 'rounds / notes']
  const width = Math.max(...ratios.map((r) => r.name.length))
  const ratioLines = ratios.map(
    (r) =>
      `  ${r.name.padEnd(width)}  ${times(r.value)}${r.target ? `   target ${r.target} ${verdict(r.met!)}` : ''}`,
  )
  return { text: [table(header, rows), '', 'Product ratios:', ...ratioLines].join('\n'), ratios }
}
