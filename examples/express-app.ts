// The README's "Add login to your Express app", runnable: `npx tsx examples/express-app.ts`.
import express from 'express'
import { createAuth, type Stores, toPublicUser } from 'gatehouse-auth'
import {
  authErrorHandler,
  gatehouse,
  login,
  loginRequired,
  logout,
  permissionRequired,
} from 'gatehouse-auth/express'
import { createSqlStores } from 'gatehouse-auth/stores/sql'

export async function createApp(stores?: Stores) {
  const auth = await createAuth({
    secret: process.env.GATEHOUSE_SECRET,
    publicUrl: process.env.PUBLIC_URL ?? 'http://localhost:3000',
    stores: stores ?? (await createSqlStores({ url: 'sqlite:data/app.db' })),
  })
  const app = express()
  app.use(express.json({ limit: '64kb' }), express.urlencoded({ extended: false }))
  app.use(gatehouse(auth)) // req.user, req.authSession (req.session stays express-session's)

  app.post('/login', async (req, res) => {
    const user = await auth.verifyLogin(
      { login: String(req.body?.login), password: String(req.body?.password) },
      req.gatehouse!.ctx,
    )
    await login(req, res, user, { remember: req.body.remember === true })
    res.json({ user: toPublicUser(user) })
  })
  app.post('/logout', async (req, res) => {
    await logout(req, res)
    res.status(204).end()
  })
  app.get('/private', loginRequired(), (req, res) => {
    res.send(`Hello ${req.user!.username}`)
  })
  app.get('/reports', permissionRequired('content:read'), (_req, res) => {
    res.send('reports')
  })
  app.use(authErrorHandler())
  return { app, auth }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = await createApp()
  app.listen(3000, () => console.log('http://localhost:3000'))
}
