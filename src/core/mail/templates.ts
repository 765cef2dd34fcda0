import { DEVICE_UNLOCK_DEFAULTS, RECOVERY_DEFAULTS } from '../options.ts'
import { lifetimeInWords } from './lifetime.ts'
import type { Mail } from './mailer.ts'

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function layout(title: string, paragraphs: string[], link: { href: string; label: string }): string {
  return `<!doctype html><html><body style="font-family:system-ui,sans-serif;max-width:560px;margin:auto;padding:24px;color:#1b1f24">
<h2 style="margin-top:0">${escapeHtml(title)}</h2>
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
<p><a href="${escapeHtml(link.href)}" style="display:inline-block;background:#0172ad;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${escapeHtml(link.label)}</a></p>
<p style="color:#59636e;font-size:13px">Or paste this link into your browser:<br>${escapeHtml(link.href)}</p>
</body></html>`
}

/** `ttl`: seconds the link works (the recovery's resetTtl). */
export function passwordResetMail(
  to: string,
  link: string,
  appName: string,
  ttl: number = RECOVERY_DEFAULTS.resetTtl,
): Mail {
  const intro = `Someone asked to reset the password of your ${appName} account. If it was you, choose a new password with the link below; it works once and expires in ${lifetimeInWords(ttl)}.`
  const outro = 'If you did not ask for this, ignore this mail: your password stays as it is.'
  return {
    to,
    subject: `Reset your ${appName} password`,
    text: `${intro}\n\n${link}\n\n${outro}\n`,
    html: layout('Reset your password', [intro, outro], { href: link, label: 'Choose a new password' }),
  }
}

/** `ttl`: seconds the link works (the recovery's verifyTtl). */
export function verifyEmailMail(
  to: string,
  link: string,
  appName: string,
  ttl: number = RECOVERY_DEFAULTS.verifyTtl,
): Mail {
  const intro = `Welcome to ${appName}. Confirm that this address is yours with the link below; it expires in ${lifetimeInWords(ttl)}.`
  return {
    to,
    subject: `Confirm your email for ${appName}`,
    text: `${intro}\n\n${link}\n`,
    html: layout('Confirm your email', [intro], { href: link, label: 'Confirm my email' }),
  }
}

/** `ttl`: seconds the link works (the device unlock's ttl). */
export function deviceUnlockMail(
  to: string,
  link: string,
  appName: string,
  ttl: number = DEVICE_UNLOCK_DEFAULTS.ttl,
): Mail {
  const intro = `Someone asked to sign in to your ${appName} account from a new device while sign-ins from new devices are paused after too many failed attempts. If it was you, open the link below on that device; it works once and expires in ${lifetimeInWords(ttl)}. You will still need your password.`
  const outro =
    'If you did not ask for this, ignore this mail. Someone may be guessing your password: consider changing it.'
  return {
    to,
    subject: `Sign in to ${appName} from a new device`,
    text: `${intro}\n\n${link}\n\n${outro}\n`,
    html: layout('Sign in from a new device', [intro, outro], { href: link, label: 'Trust this device' }),
  }
}
