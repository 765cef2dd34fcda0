/**
 * argon2 runs on hashing threads the OS schedules after the event loop (issue 12): the
 * answers are the binding's own, and on Linux the threads run at nice 19, and under SCHED_IDLE
 * where util-linux `chrt` is installed.
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { hashSync, verifySync } from '@node-rs/argon2'
import { describe, expect, it } from 'vitest'
import { PasswordHasher } from '../src/core/methods/password/hashing/index.ts'
import { argon2Hash, argon2Verify } from '../src/core/methods/password/hashing/low-priority.ts'

const OPTIONS = { algorithm: 2, memoryCost: 8192, timeCost: 1, parallelism: 1, outputLen: 32 }
const bytes = (s: string) => new TextEncoder().encode(s)

/** Nice value and scheduling policy of every thread of this process (Linux /proc), by thread id. */
function threadScheduling(): Map<number, { nice: number; policy: number }> {
  const out = new Map<number, { nice: number; policy: number }>()
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    // Fields after the parenthesised name: state is field 3, nice field 19, policy field 41.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out.set(Number(tid), { nice: Number(fields[16]), policy: Number(fields[38]) })
  }
  return out
}
const SCHED_OTHER = 0
const SCHED_IDLE = 5
const hasChrt = process.platform === 'linux' && spawnSync('chrt', ['--version']).status === 0

describe('low-priority hashing threads', () => {
  it('hash and verify answer as the binding does, for concurrent calls too', async () => {
    const hashes = await Promise.all(
      ['a', 'b', 'c'].map((p) => argon2Hash(bytes(`pw-${p}`), OPTIONS as never)),
    )
    for (const [i, p] of ['a', 'b', 'c'].entries()) {
      expect(hashes[i]).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/)
      expect(verifySync(hashes[i]!, `pw-${p}`)).toBe(true)
      expect(await argon2Verify(hashes[i]!, bytes(`pw-${p}`))).toBe(true)
      expect(await argon2Verify(hashes[i]!, bytes('wrong'))).toBe(false)
    }
    const made = hashSync('direct', OPTIONS as never)
    expect(await argon2Verify(made, bytes('direct'))).toBe(true)
    await expect(argon2Verify('$argon2id$garbage', bytes('x'))).rejects.toThrow()
  })

  it('PasswordHasher goes through them: a bad stored hash is no match, never an error', async () => {
    const hasher = new PasswordHasher({ memoryCost: 8192, timeCost: 1 })
    const stored = await hasher.hash('correct horse')
    expect((await hasher.verify('correct horse', stored)).valid).toBe(true)
    expect((await hasher.verify('wrong horse', stored)).valid).toBe(false)
    expect(
      (
        await hasher.verify(
          'x',
          '$argon2id$v=19$m=8192,t=1,p=1$AAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        )
      ).valid,
    ).toBe(false)
  })

  it.runIf(process.platform === 'linux')(
    'the hashing threads run at nice 19, the main thread unchanged',
    async () => {
      const before = threadScheduling()
      await Promise.all([1, 2].map((n) => argon2Hash(bytes(`p${n}`), OPTIONS as never)))
      const after = threadScheduling()
      const niced = [...after.values()].filter((t) => t.nice === 19)
      expect(niced.length).toBeGreaterThanOrEqual(2)
      expect(after.get(process.pid)!.nice).toBe(before.get(process.pid)!.nice)
      expect(after.get(process.pid)!.nice).not.toBe(19)
    },
  )

  it.runIf(hasChrt)(
    'with chrt installed, the hashing threads run under SCHED_IDLE, the main thread unchanged',
    async () => {
      await Promise.all([1, 2].map((n) => argon2Hash(bytes(`q${n}`), OPTIONS as never)))
      const threads = threadScheduling()
      const idle = [...threads.values()].filter((t) => t.policy === SCHED_IDLE)
      expect(idle.length).toBeGreaterThanOrEqual(2)
      for (const t of idle) expect(t.nice).toBe(19)
      expect(threads.get(process.pid)!.policy).toBe(SCHED_OTHER)
    },
  )
})
