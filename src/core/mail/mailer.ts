import nodemailer from 'nodemailer'

export interface Mail {
  to: string
  subject: string
  text: string
  html: string
}

export interface Mailer {
  readonly description: string
  send(mail: Mail): Promise<void>
  close?(): void
  /** Checks the connection (SMTP: EHLO and AUTH) without sending; the server runs it at start. */
  verify?(): Promise<void>
}

/** Sends through SMTP (`smtp://user:pass@host:port`, `smtps://…`). */
export function createSmtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url)
  const safe = new URL(url)
  safe.password = ''
  safe.username = ''
  return {
    description: `smtp ${safe.host}`,
    async send(mail) {
      await transport.sendMail({ from, ...mail, disableFileAccess: true, disableUrlAccess: true })
    },
    close: () => transport.close(),
    verify: async () => {
      await transport.verify()
    },
  }
}

export interface OutboxMailer extends Mailer {
  readonly messages: (Mail & { at: number })[]
}

/** Development only: keeps the last mails in memory (shown at /dev/outbox) and logs them. */
export function createOutboxMailer(log: (line: string) => void, keep = 50): OutboxMailer {
  const messages: (Mail & { at: number })[] = []
  return {
    description: 'development outbox (/dev/outbox)',
    messages,
    async send(mail) {
      messages.unshift({ ...mail, at: Date.now() })
      messages.length = Math.min(messages.length, keep)
      log(`[outbox] To: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}\n`)
    },
  }
}
