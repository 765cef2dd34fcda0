import { lifetimeInWords } from './lifetime.ts'
import type { Mail } from './mailer.ts'

// The self-service account's mails: the confirmation of a new address, and the notice to the old one.

/** To the new address: the link that makes it the account's address. */
export function emailChangeMail(to: string, link: string, appName: string, ttl: number): Mail {
  const intro = `Someone asked to make ${to} the email address of their ${appName} account. If it was you, open the link below while signed in to confirm it; it works once and expires in ${lifetimeInWords(ttl)}.`
  const outro = 'If you did not ask for this, ignore this mail: nothing changes.'
  return {
    to,
    subject: `Confirm your new email for ${appName}`,
    text: `${intro}\n\n${link}\n\n${outro}\n`,
    html: `<p>${escapeHtml(intro)}</p><p><a href="${escapeHtml(link)}">Confirm my new email</a></p><p>${escapeHtml(outro)}</p>`,
  }
}

/** To the old address: the change was asked for, and what to do if it was not the owner. */
export function emailChangeNoticeMail(to: string, newAddress: string, appName: string): Mail {
  const text = `Someone signed in to your ${appName} account asked to change its email address to ${newAddress}. The change takes effect only when that address is confirmed. If it was not you, change your password now and sign out your other sessions from your profile.`
  return {
    to,
    subject: `Your ${appName} email address is being changed`,
    text: `${text}\n`,
    html: `<p>${escapeHtml(text)}</p>`,
  }
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )
}
