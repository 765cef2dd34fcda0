import type { Context } from 'hono'
import { raw } from 'hono/html'
import type { Child, FC } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { hasRole } from '../../core/access.ts'
import type { Auth } from '../../core/auth.ts'
import type { User } from '../../stores/contracts.ts'
import type { Branding } from '../branding.ts'
import type { Services } from '../services.ts'
import { type Flash, takeFlash } from './flash.ts'

const brandings = new WeakMap<Auth, Pick<Branding, 'appName' | 'logoSrc'>>()

/** Remembers the branding for pages that only have the request (error pages). */
export function registerApp(s: Services): void {
  brandings.set(s.auth, s.branding)
}

function brandingOf(c: Context): Pick<Branding, 'appName' | 'logoSrc'> {
  const auth = c.get('auth') as Auth | undefined
  return (auth && brandings.get(auth)) || { appName: 'Gatehouse', logoSrc: null }
}

export function appName(c: Context): string {
  return brandingOf(c).appName
}

/** The signed-in user, or null (also on error pages rendered before authentication ran). */
/**
 * The signed-in user of a page: only a session counts. A bearer token or API key sent to a
 * page is not a browser login (and would skip the form's CSRF token), so pages ignore it.
 */
export function currentUser(c: Context): User | null {
  const who = c.get('authenticated')
  return who?.via === 'session' ? who.user : null
}

export function isAdmin(user: User | null): boolean {
  return hasRole(user, 'admin')
}

export function displayName(user: User): string {
  return user.name?.trim() || user.username
}

const NavLink: FC<{ href: string; path: string; children: Child }> = ({ href, path, children }) => (
  <li>
    <a
      href={href}
      aria-current={path === href || path.startsWith(`${href}/`) ? 'page' : undefined}
      class="secondary"
    >
      {children}
    </a>
  </li>
)

const Brand: FC<{ app: string; logo: string | null }> = ({ app, logo }) => (
  <a href="/" class="brand contrast" aria-label={`${app} home`}>
    {logo ? (
      <img src={logo} alt="" class="brand-logo" width="28" height="28" />
    ) : (
      <span class="brand-mark" aria-hidden="true" />
    )}
    <span class="brand-name">{app}</span>
  </a>
)

const Nav: FC<{ user: User | null; path: string; app: string; logo: string | null }> = ({
  user,
  path,
  app,
  logo,
}) => (
  <nav class="site-nav" aria-label="Main">
    <ul>
      <li>
        <Brand app={app} logo={logo} />
      </li>
    </ul>
    {user ? (
      <ul class="nav-links">
        <NavLink href="/dashboard" path={path}>
          Dashboard
        </NavLink>
        <NavLink href="/profile" path={path}>
          Profile
        </NavLink>
        {isAdmin(user) ? (
          <NavLink href="/admin" path={path}>
            Admin
          </NavLink>
        ) : null}
        <li>
          <a href="/logout" class="secondary">
            Logout
          </a>
        </li>
      </ul>
    ) : (
      <ul class="nav-links">
        <NavLink href="/login" path={path}>
          Log in
        </NavLink>
        <li>
          <a href="/signup" class="button nav-cta">
            Sign up
          </a>
        </li>
      </ul>
    )}
  </nav>
)

/** The flash region is always there (aria-live), so screen readers announce what lands in it. */
export const FlashMessage: FC<{ flash: Flash | null }> = ({ flash }) => (
  <div class="flash-region" aria-live="polite">
    {flash ? (
      <div class={`flash ${flash.type}`} role={flash.type === 'error' ? 'alert' : 'status'}>
        {flash.text}
      </div>
    ) : null}
  </div>
)

export interface PageOptions {
  title: string
  status?: number
  /** A narrow centred card (login, sign-up, recovery). */
  card?: boolean
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>
  /** Read and clear the flash cookie (default true; error pages skip it). */
  flash?: boolean
}

/** Renders a full page: header with the navigation, the flash message, the body, the footer. */
export function renderPage(c: Context, options: PageOptions, body: Child): Response | Promise<Response> {
  const user = currentUser(c)
  const { appName: app, logoSrc } = brandingOf(c)
  const flash = options.flash === false ? null : takeFlash(c)
  for (const [k, v] of Object.entries(options.headers ?? {})) c.header(k, v)
  const page = (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <title>{`${options.title} · ${app}`}</title>
          <link rel="icon" href={logoSrc ?? '/favicon.svg'} />
          <link rel="stylesheet" href="/static/pico.min.css" />
          <link rel="stylesheet" href="/static/app.css" />
          <link rel="stylesheet" href="/static/brand.css" />
          <script type="module" src="/static/app.js" />
        </head>
        <body>
          <a class="skip-link" href="#main">
            Skip to content
          </a>
          <header class="site-header">
            <div class="container">
              <Nav user={user} path={c.req.path} app={app} logo={logoSrc} />
            </div>
          </header>
          <main class="container" id="main">
            {options.card ? (
              <div class="auth-card">
                <FlashMessage flash={flash} />
                {body}
              </div>
            ) : (
              <>
                <FlashMessage flash={flash} />
                {body}
              </>
            )}
          </main>
          <footer class="site-footer">
            <div class="container">
              <small>
                © {app} ·{' '}
                <a href="/" class="secondary">
                  Home
                </a>
              </small>
            </div>
          </footer>
        </body>
      </html>
    </>
  )
  return c.html(page, (options.status ?? 200) as ContentfulStatusCode)
}

/** A standard card with a heading, used by most small pages. */
export const Card: FC<{ title: string; lead?: Child; children?: Child }> = ({ title, lead, children }) => (
  <article>
    <header>
      <h1 class="card-title">{title}</h1>
      {lead ? <p class="muted card-lead">{lead}</p> : null}
    </header>
    {children}
  </article>
)
