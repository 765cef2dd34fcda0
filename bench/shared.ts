/** What the parent (run.ts) and the server process (server.ts) agree on. */

export const SERVER_CASES = [
  'hono-bare',
  'hono-floor',
  'hono-sqlite',
  'hono-postgres',
  'hono-jwt',
  'hono-jwt-offline',
  'express-bare',
  'express-sqlite',
] as const
export type ServerCase = (typeof SERVER_CASES)[number]

/** The password admission queue of every server: hashes at once (the default on 2 cores), and logins allowed to wait. */
export const QUEUE = { concurrency: 1, maxWaiting: 8 } as const

/** The one JSON line a server prints on stdout once it listens (or cannot). */
export type ServerMessage = ServerReady | { skipped: string }

export interface ServerReady {
  port: number
  /** Cookie header carrying a valid session (authenticated cases). */
  cookie?: string
  /** Authorization header with a valid access token (JWT cases). */
  authorization?: string
  /** Refresh tokens, one per chain of the refresh benchmark (JWT cases). */
  refreshTokens?: string[]
  /** Credentials of the benchmark user, for POST /login. */
  login?: { login: string; password: string }
}
