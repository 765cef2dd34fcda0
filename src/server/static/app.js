// Progressive enhancement of the Gatehouse pages: show/hide password, strength meter, copy button.
// A static file (script-src 'self'): no inline script, no eval. Every page works without it.

for (const button of document.querySelectorAll('[data-password-toggle]')) {
  const input = document.getElementById(button.getAttribute('aria-controls'))
  if (!input) continue
  button.hidden = false
  button.addEventListener('click', () => {
    const show = input.type === 'password'
    input.type = show ? 'text' : 'password'
    button.setAttribute('aria-pressed', String(show))
    const text = button.querySelector('[data-toggle-text]')
    if (text) text.textContent = show ? 'Hide' : 'Show'
    input.focus()
  })
}

// Passwords are hidden again before the form leaves, so the browser never stores them as text.
for (const form of document.querySelectorAll('form')) {
  form.addEventListener('submit', () => {
    for (const input of form.querySelectorAll('input[data-password]')) input.type = 'password'
  })
}

for (const button of document.querySelectorAll('[data-copy]')) {
  const input = document.getElementById(button.getAttribute('data-copy'))
  const status = document.getElementById(button.getAttribute('data-copy-status'))
  if (!input) continue
  button.hidden = false
  button.addEventListener('click', async () => {
    let copied = false
    try {
      await navigator.clipboard.writeText(input.value)
      copied = true
    } catch {
      input.select()
      copied = document.execCommand?.('copy') ?? false
    }
    if (status) status.textContent = copied ? 'Copied to the clipboard.' : 'Select the key and copy it.'
    button.textContent = copied ? 'Copied' : 'Copy'
  })
}

const LABELS = ['Very weak', 'Weak', 'Fair', 'Good', 'Strong']
const meters = document.querySelectorAll('[data-strength]')
if (meters.length > 0) {
  // zxcvbn-ts with its common-word dictionaries: about a megabyte, loaded only where a new password is chosen.
  Promise.all([
    import('/static/vendor/zxcvbn-core/index.mjs'),
    import('/static/vendor/zxcvbn-common/index.mjs'),
  ])
    .then(([core, common]) => {
      const zxcvbn = new core.ZxcvbnFactory({
        dictionary: { ...common.dictionary },
        graphs: common.adjacencyGraphs,
      })
      for (const box of meters) attachMeter(box, zxcvbn)
    })
    .catch(() => {})
}

function attachMeter(box, zxcvbn) {
  const input = document.getElementById(box.getAttribute('data-strength'))
  const meter = box.querySelector('meter')
  const label = box.querySelector('[data-strength-label]')
  if (!input || !meter || !label) return
  const form = input.form
  const update = () => {
    const value = input.value
    // Shown once something is typed: an empty bar says nothing.
    box.hidden = value === ''
    if (value === '') {
      meter.value = 0
      label.textContent = ''
      box.dataset.score = ''
      return
    }
    const others = ['email', 'username', 'name']
      .map((n) => form?.elements.namedItem(n)?.value)
      .filter((v) => typeof v === 'string' && v !== '')
    const result = zxcvbn.check(value.slice(0, 128), others)
    meter.value = result.score
    box.dataset.score = String(result.score)
    label.textContent = `Strength: ${LABELS[result.score]}.`
  }
  let timer = 0
  input.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(update, 150)
  })
  // What was typed while the dictionaries loaded is rated as soon as they are here.
  if (input.value !== '') update()
}
