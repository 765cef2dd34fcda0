// The README's "Add login to your Express app", with a route of the app's own that validates
// its input (400 VALIDATION_FAILED). Run: `npx tsx examples/express-app.ts`.
import express from 'express'
import { AuthError, createAuth, type Stores } from 'gatehouse-auth'
import {
  authErrorHandler,
  gatehouse,
  gatehouseRouter,
  loginRequired,
  permissionRequired,
} from 'gatehouse-auth/express'

export async function createApp(stores?: Stores) {
  const auth = await createAuth({ publicUrl: process.env.PUBLIC_URL ?? 'http://localhost:3000', stores })
  const app = express()
  app.use(gatehouse(auth)).use('/auth', gatehouseRouter(auth)) // req.user, req.authSession
  app.get('/private', loginRequired(), (req, res) => {
    res.send(`Hello ${req.user?.username}`)
  })
  app.get('/reports', permissionRequired('content:read'), (_req, res) => {
    res.send('reports')
  })
  app.post('/notes', loginRequired(), express.json({ limit: '64kb' }), (req, res) => {
    const title: unknown = req.body?.title
    if (typeof title !== 'string' || title.trim() === '' || title.length > 200)
      throw new AuthError('VALIDATION_FAILED', {
        fields: { title: 'Enter a title (at most 200 characters).' },
      })
    res.status(201).json({ note: { title: title.trim(), owner: req.user!.username } })
  })
  app.use(authErrorHandler()) // AuthError → its JSON error; anything else is logged with its stack → 500
  return { app, auth }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = await createApp()
  app.listen(3000, () => console.log('http://localhost:3000'))
}
