import { z } from 'zod'
import type { Mailer } from './mail/mailer.ts'

/** createAuth's options for the mounted routes (gatehouseRoutes, gatehouseRouter, auth.handler). */
export const mountOptions = {
  /** Where `auth.handler` serves the routes, e.g. '/api/auth' (the Hono and Express mounts: where mounted). */
  basePath: z
    .string()
    .regex(/^(\/[\w.~!$&'()*+,;=:@%-]+)*$/, { message: "expected '' or a path like /auth" })
    .default(''),
  /** The mounted routes' mails (reset, verification, unlock links); the mounts require one in production. */
  mailer: z
    .custom<Mailer>((v) => typeof (v as Mailer | null)?.send === 'function', { message: 'must be a Mailer' })
    .optional(),
  /** The product name in the mounted routes' mails and pages. */
  appName: z.string().min(1).max(60).default('Gatehouse'),
}
