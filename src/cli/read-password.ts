import { createInterface } from 'node:readline'

/**
 * Reads a password without ever taking it from an argument (it would land in shell history
 * and `ps`): from a prompt with echo off on a terminal, else the first line of standard input.
 */
export async function readPassword(
  prompt: string,
  input: NodeJS.ReadStream = process.stdin,
): Promise<string> {
  if (!input.isTTY) {
    const rl = createInterface({ input, terminal: false })
    for await (const line of rl) {
      rl.close()
      return line.replace(/\r$/, '')
    }
    return ''
  }
  process.stderr.write(prompt)
  input.setRawMode(true)
  input.resume()
  input.setEncoding('utf8')
  return new Promise((resolve, reject) => {
    let value = ''
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          cleanup()
          process.stderr.write('\n')
          return resolve(value)
        }
        if (ch === '\u0003') {
          cleanup()
          process.stderr.write('\n')
          return reject(new Error('cancelled'))
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('')
        else value += ch
      }
    }
    const cleanup = () => {
      input.off('data', onData)
      input.setRawMode(false)
      input.pause()
    }
    input.on('data', onData)
  })
}
