import { dictionary } from '@zxcvbn-ts/language-common'

let common: Set<string> | undefined

/**
 * Whether the password is on zxcvbn-ts's ranked list of common passwords (about 49,000
 * entries, all lowercase; ASVS 6.2.4 asks for at least the top 3,000). The lookup ignores case,
 * so `Password` counts as `password`. The Set is built on first use.
 */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'])
  return common.has(password.toLowerCase())
}
