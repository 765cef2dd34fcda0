import type { Context, Hono } from 'hono'
import { csrfToken } from '../../adapters/hono.ts'
import { AuthError } from '../../core/errors.ts'
import type { Services } from '../services.ts'
import { type AccountFormState, DeleteAccountForm } from './account-forms.tsx'
import { renderErrorPage } from './error.tsx'
import { setFlash } from './flash.ts'
import { isFormError, problemFrom } from './form-problem.ts'
import { CsrfField, echo, Hidden, readForm, str } from './forms.tsx'
import { noReferrer, requestContext, requireCsrf, requireLogin } from './guards.ts'
import { Card, currentUser, renderPage } from './layout.tsx'

/** How /profile draws itself with one of the account forms in error. */
export type RenderProfile = (
  c: Context,
  state: { account?: AccountFormState; email?: AccountFormState },
) => Response | Promise<Response>

/** POST /profile/account and /profile/email, the data export, account deletion, the email-change link. */
export function accountPages(pages: Hono, s: Services, renderProfile: RenderProfile): void {
  accountEditRoutes(pages, s, renderProfile)
  accountDeleteRoutes(pages, s)
  confirmEmailRoutes(pages, s)
}

/** Name and username, a new email address, the export. */
function accountEditRoutes(pages: Hono, s: Services, renderProfile: RenderProfile): void {
  const { account } = s

  pages.post('/profile/account', requireLogin, requireCsrf, async (c) => {
    const form = await readForm(c)
    const values = { name: echo(str(form, 'name')), username: echo(str(form, 'username')) }
    try {
      await account.updateProfile(
        currentUser(c)!,
        { name: str(form, 'name'), username: str(form, 'username') },
        requestContext(c),
      )
    } catch (error) {
      if (isFormError(error)) return renderProfile(c, { account: { problem: problemFrom(error), values } })
      throw error
    }
    setFlash(c, 'success', 'Your profile has been saved.')
    return c.redirect('/profile', 303)
  })

  pages.post('/profile/email', requireLogin, requireCsrf, async (c) => {
    const form = await readForm(c)
    const values = { email: echo(str(form, 'email')) }
    let email: string
    try {
      ;({ email } = await account.requestEmailChange(
        c.get('authenticated')!,
        { email: str(form, 'email'), password: str(form, 'password') },
        requestContext(c),
      ))
    } catch (error) {
      if (isFormError(error)) return renderProfile(c, { email: { problem: problemFrom(error), values } })
      throw error
    }
    setFlash(c, 'success', `We sent a confirmation link to ${email}. Your address changes when you open it.`)
    return c.redirect('/profile', 303)
  })

  pages.get('/profile/export', requireLogin, async (c) => {
    const user = currentUser(c)!
    const data = await account.exportData(user, requestContext(c))
    return c.body(JSON.stringify(data, null, 2), 200, {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="account-${user.username}.json"`,
    })
  })
}

/** GET and POST /profile/delete. */
function accountDeleteRoutes(pages: Hono, s: Services): void {
  const { auth, account } = s
  const deletePage = (c: Context, problem?: ReturnType<typeof problemFrom>) =>
    renderPage(
      c,
      {
        title: 'Delete account',
        card: true,
        status: problem?.status ?? 200,
        headers: problem?.headers ?? {},
      },
      <Card title="Delete your account?" lead="This cannot be undone.">
        <DeleteAccountForm
          token={csrfToken(c)}
          problem={problem}
          hasPassword={!!currentUser(c)!.passwordHash}
        />
      </Card>,
    )

  pages.get('/profile/delete', requireLogin, (c) => deletePage(c))

  pages.post('/profile/delete', requireLogin, requireCsrf, async (c) => {
    const form = await readForm(c)
    const fields: Record<string, string> = {}
    if (str(form, 'confirm') !== 'yes') fields.confirm = 'Tick the box to confirm.'
    const hasPassword = !!currentUser(c)!.passwordHash
    if (hasPassword && str(form, 'password') === '') fields.password = 'Enter your password.'
    if (Object.keys(fields).length > 0)
      return deletePage(c, { status: 400, message: 'Please correct the highlighted fields.', fields })
    try {
      await account.deleteAccount(c.get('authenticated')!, { password: str(form, 'password') })
    } catch (error) {
      if (isFormError(error)) {
        const problem = problemFrom(error)
        // Re-authentication failures name the field as `password`; other refusals (last admin) stay a message.
        return deletePage(c, problem)
      }
      throw error
    }
    c.header('set-cookie', auth.clearSessionCookie(), { append: true })
    setFlash(c, 'info', 'Your account has been deleted. Goodbye.')
    return c.redirect('/', 303)
  })
}

/** The link of the email-change mail: a page with a button (mail scanners only GET), login required. */
function confirmEmailRoutes(pages: Hono, s: Services): void {
  const { account } = s

  pages.get('/account/confirm-email', noReferrer, requireLogin, async (c) => {
    const token = c.req.query('token') ?? ''
    const entry = await account.tokens.peekEntry('email-change', token)
    if (!entry) return renderErrorPage(c, new AuthError('INVALID_TOKEN'))
    if (entry.userId !== currentUser(c)!.id)
      return renderErrorPage(
        c,
        new AuthError('FORBIDDEN', {
          message: 'This link belongs to another account. Sign in to that account to use it.',
        }),
      )
    const to = (JSON.parse(entry.bind ?? '{}') as { to?: string }).to ?? ''
    return renderPage(
      c,
      { title: 'Confirm your new email', card: true },
      <Card title="Confirm your new email" lead={`Make ${to} the address of your account.`}>
        <form method="post" action="/account/confirm-email">
          <CsrfField token={csrfToken(c)} />
          <Hidden name="token" value={token} />
          <button type="submit">Confirm my new email</button>
        </form>
      </Card>,
    )
  })

  pages.post('/account/confirm-email', noReferrer, requireLogin, requireCsrf, async (c) => {
    const form = await readForm(c)
    try {
      const user = await account.confirmEmailChange(currentUser(c)!, str(form, 'token'), requestContext(c))
      setFlash(c, 'success', `Your email address is now ${user.email}.`)
    } catch (error) {
      if (error instanceof AuthError) return renderErrorPage(c, error)
      throw error
    }
    return c.redirect('/profile', 303)
  })
}
