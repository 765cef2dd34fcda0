import type { Auth } from '../../core/auth.ts'
import type { OAuthModule, ProviderSpec } from '../../core/methods/oauth/index.ts'
import { CsrfField } from './forms.tsx'

/** The oauth module of this server (always mounted; it may have no provider). */
export function oauthOf(auth: Auth): OAuthModule | null {
  return (auth.modules.modules.find((m) => m.id === 'oauth') as OAuthModule | undefined) ?? null
}

/** Monochrome marks (currentColor), simplified; decorative — the button's text names the provider. */
const MARKS: Record<ProviderSpec['mark'], string> = {
  github:
    'M12 .5a11.5 11.5 0 0 0-3.64 22.41c.58.1.79-.25.79-.56v-2c-3.2.7-3.88-1.37-3.88-1.37-.53-1.34-1.3-1.7-1.3-1.7-1.04-.71.08-.7.08-.7 1.16.08 1.77 1.19 1.77 1.19 1.03 1.77 2.7 1.26 3.36.96.1-.75.4-1.26.73-1.55-2.55-.29-5.24-1.28-5.24-5.68 0-1.26.45-2.28 1.19-3.09-.12-.29-.52-1.46.11-3.05 0 0 .97-.31 3.17 1.18a11 11 0 0 1 5.77 0c2.2-1.49 3.17-1.18 3.17-1.18.63 1.59.23 2.76.11 3.05.74.81 1.19 1.83 1.19 3.09 0 4.41-2.69 5.38-5.25 5.67.41.36.78 1.06.78 2.14v3.17c0 .31.21.67.8.56A11.5 11.5 0 0 0 12 .5Z',
  google:
    'M12 10.2v3.9h5.5c-.24 1.26-1.7 3.7-5.5 3.7a6.1 6.1 0 0 1 0-12.2c1.9 0 3.17.8 3.9 1.5l2.66-2.57A9.7 9.7 0 0 0 12 2a10 10 0 1 0 0 20c5.77 0 9.6-4.06 9.6-9.77 0-.66-.07-1.16-.16-1.66H12Z',
  azure: 'M3 3h8.5v8.5H3V3Zm9.5 0H21v8.5h-8.5V3ZM3 12.5h8.5V21H3v-8.5Zm9.5 0H21V21h-8.5v-8.5Z',
  auth0:
    'M17.9 2H6.1L2.5 13.1a8.3 8.3 0 0 0 3 9.2L12 22l6.5-4.7a8.3 8.3 0 0 0 3-9.2L17.9 2ZM12 14.6l-3.3 2.4 1.3-3.9-3.3-2.4h4L12 6.8l1.3 3.9h4l-3.3 2.4 1.3 3.9-3.3-2.4Z',
  generic:
    'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20Zm0 3a3.5 3.5 0 1 1 0 7 3.5 3.5 0 0 1 0-7Zm0 15a8 8 0 0 1-6-2.7c.9-2 3.3-3.3 6-3.3s5.1 1.3 6 3.3A8 8 0 0 1 12 20Z',
}

function Mark(props: { mark: ProviderSpec['mark'] }) {
  return (
    <svg
      viewBox="0 0 24 24"
      width="18"
      height="18"
      aria-hidden="true"
      focusable="false"
      class="provider-mark"
    >
      <path fill="currentColor" d={MARKS[props.mark]} />
    </svg>
  )
}

/** "Continue with <provider>" links for the login and sign-up cards; nothing when none is configured. */
export function ProviderButtons(props: { auth: Auth; next?: string }) {
  const providers = oauthOf(props.auth)?.providers ?? []
  if (providers.length === 0) return null
  const query = props.next ? `?next=${encodeURIComponent(props.next)}` : ''
  return (
    <section class="provider-buttons" aria-label="Sign in with a provider">
      <p class="muted provider-divider">or</p>
      {providers.map((p) => (
        <a
          class="button secondary outline provider-button"
          href={`/auth/oauth/${p.id}${query}`}
          aria-label={`Continue with ${p.name}`}
          data-provider={p.id}
        >
          <Mark mark={p.mark} /> Continue with {p.name}
        </a>
      ))}
    </section>
  )
}

export interface LinkedView {
  provider: string
  name: string
  email: string | null
  linked_at: string
}

/** The profile's "Linked sign-in providers": each linked one with Unlink, each other with Link. */
export function ProvidersSection(props: { auth: Auth; linked: LinkedView[]; token: string }) {
  const providers = oauthOf(props.auth)?.providers ?? []
  const linked = new Set(props.linked.map((l) => l.provider))
  const unlinked = providers.filter((p) => !linked.has(p.id))
  return (
    <article id="providers">
      <header>
        <h2 class="section-title">Linked sign-in providers</h2>
      </header>
      {props.linked.length === 0 ? <p class="muted">None</p> : null}
      <ul class="provider-list">
        {props.linked.map((l) => (
          <li data-provider={l.provider}>
            <strong>{l.name}</strong> {l.email ? <span class="muted">{l.email}</span> : null}{' '}
            <span class="muted">linked {l.linked_at.slice(0, 10)}</span>
            <form method="post" action={`/profile/providers/${l.provider}/unlink`} class="inline-form">
              <CsrfField token={props.token} />
              <button type="submit" class="secondary outline" aria-label={`Unlink ${l.name}`}>
                Unlink
              </button>
            </form>
          </li>
        ))}
        {unlinked.map((p) => (
          <li data-provider={p.id}>
            <form method="post" action={`/profile/providers/${p.id}/link`} class="inline-form">
              <CsrfField token={props.token} />
              <button type="submit" class="secondary" aria-label={`Link ${p.name}`}>
                <Mark mark={p.mark} /> Link {p.name}
              </button>
            </form>
          </li>
        ))}
      </ul>
    </article>
  )
}
