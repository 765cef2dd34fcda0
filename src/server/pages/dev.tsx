import type { Hono } from 'hono'
import { AuthError } from '../../core/errors.ts'
import type { Services } from '../services.ts'
import { renderErrorPage } from './error.tsx'
import { formatTime, isoTime } from './format.ts'
import { renderPage } from './layout.tsx'

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * The outbox holds live reset links, so only our own name may read it: a page on another
 * site whose DNS name is rebound to 127.0.0.1 reaches this server with its own Host header.
 */
function isOwnHost(requestUrl: string, publicUrl: string): boolean {
  // @hono/node-server builds the request URL from the Host header.
  const { hostname } = new URL(requestUrl)
  return LOOPBACK_NAMES.has(hostname) || hostname === new URL(publicUrl).hostname
}

/** Development only (no SMTP_URL): the mails the server would have sent. */
export function devPages(pages: Hono, s: Services): void {
  pages.get('/dev/outbox', (c) => {
    const outbox = s.outbox
    if (!outbox || !isOwnHost(c.req.url, s.config.publicUrl))
      return renderErrorPage(c, new AuthError('NOT_FOUND'))
    return renderPage(
      c,
      { title: 'Development outbox' },
      <>
        <hgroup class="page-heading">
          <h1>Development outbox</h1>
          <p class="muted">
            Mails are not sent in development without SMTP_URL; the last {outbox.messages.length} are kept
            here (newest first) and in the server log.
          </p>
        </hgroup>
        {outbox.messages.length === 0 ? (
          <article>
            <p class="muted">No mail yet.</p>
          </article>
        ) : null}
        {outbox.messages.map((m) => {
          const link = /https?:\/\/\S+/.exec(m.text)?.[0]
          return (
            <article class="mail">
              <header>
                <strong>{m.subject}</strong>
                <br />
                <small class="muted">
                  To {m.to} · <time datetime={isoTime(m.at)}>{formatTime(m.at)}</time>
                </small>
              </header>
              <pre class="mail-body">{m.text}</pre>
              {link ? (
                <a href={link} class="button secondary outline small" rel="noreferrer">
                  Open the link
                </a>
              ) : null}
            </article>
          )
        })}
      </>,
    )
  })
}
