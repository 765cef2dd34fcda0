import type { FC } from 'hono/jsx'

// Paging and tabs shared by the admin pages (users, audit log).

/** A page number from the query; anything odd reads as page 1. */
export function pageParam(raw: string | undefined): number {
  const n = Number(raw)
  return Number.isInteger(n) && n >= 1 && n <= 1_000_000 ? n : 1
}

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '' && v !== 1) q.set(k, String(v))
  // page=1 is the default and is left out; other numbers stay.
  const s = q.toString()
  return s ? `?${s}` : ''
}

export const Pager: FC<{
  path: string
  page: number
  perPage: number
  total: number
  params: Record<string, string>
}> = (p) => {
  const pages = Math.max(1, Math.ceil(p.total / p.perPage))
  const first = p.total === 0 ? 0 : (p.page - 1) * p.perPage + 1
  const last = Math.min(p.total, p.page * p.perPage)
  return (
    <nav class="pager" aria-label="Pagination">
      <span class="muted">
        {p.total === 0 ? 'No results' : `Showing ${first}–${last} of ${p.total}`}
        {p.total > 0 && p.page > pages ? ' (past the last page)' : ''}
      </span>
      <div class="actions">
        {p.page > 1 ? (
          <a href={`${p.path}${query({ ...p.params, page: Math.min(p.page - 1, pages) })}`} rel="prev">
            ← Previous
          </a>
        ) : null}
        <span class="muted">
          Page {p.page} of {pages}
        </span>
        {p.page < pages ? (
          <a href={`${p.path}${query({ ...p.params, page: p.page + 1 })}`} rel="next">
            Next →
          </a>
        ) : null}
      </div>
    </nav>
  )
}

export const AdminTabs: FC<{ active: 'users' | 'audit' }> = ({ active }) => (
  <nav class="tabs" aria-label="Admin sections">
    <a href="/admin" aria-current={active === 'users' ? 'page' : undefined}>
      Users
    </a>
    <a href="/admin/audit" aria-current={active === 'audit' ? 'page' : undefined}>
      Audit log
    </a>
  </nav>
)
