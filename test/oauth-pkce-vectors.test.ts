/** docs/security.md case 9: PKCE (RFC 7636) vectors from the shared set (test/fixtures/pkce.json): app sign-in's verifier check and the outbound challenge. */
import { readFileSync } from 'node:fs'
import { calculatePKCECodeChallenge } from 'openid-client'
import { describe, expect, it } from 'vitest'
import {
  isValidVerifier,
  readAppRequest,
  s256,
  verifierMatches,
} from '../src/core/methods/oauth/app-signin.ts'

interface Case {
  id: string
  code_verifier: string
  code_challenge: string | null
  code_challenge_method: 'S256' | 'plain'
  expect: 'match' | 'mismatch' | 'invalid_verifier'
}
const { cases } = JSON.parse(readFileSync(new URL('./fixtures/pkce.json', import.meta.url), 'utf8')) as {
  cases: Case[]
}

describe('PKCE vectors', () => {
  it('has the RFC 7636 Appendix B pair', () => {
    const b = cases.find((c) => c.id === 'pkce-001')!
    expect(s256(b.code_verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
  })

  for (const c of cases) {
    it(`${c.id}: ${c.expect} (${c.code_challenge_method})`, async () => {
      const challenge = c.code_challenge ?? ''
      if (c.code_challenge_method === 'plain') {
        // plain is refused by policy (match or not): app sign-in never gets to compare.
        const q = new URLSearchParams({
          redirect_uri: 'app:/cb',
          code_challenge: challenge,
          code_challenge_method: 'plain',
        })
        expect(() => readAppRequest(q, ['app:/cb'])).toThrow(
          expect.objectContaining({ code: 'VALIDATION_FAILED' }),
        )
        if (c.expect === 'match') expect(verifierMatches(c.code_verifier, challenge)).toBe(false)
      } else if (c.expect === 'invalid_verifier') {
        expect(isValidVerifier(c.code_verifier)).toBe(false)
        expect(verifierMatches(c.code_verifier, challenge)).toBe(false)
      } else if (c.expect === 'mismatch') {
        expect(isValidVerifier(c.code_verifier)).toBe(true)
        expect(verifierMatches(c.code_verifier, challenge)).toBe(false)
      } else {
        expect(verifierMatches(c.code_verifier, challenge)).toBe(true)
        // The challenge openid-client sends to providers is the same function.
        expect(await calculatePKCECodeChallenge(c.code_verifier)).toBe(challenge)
      }
    })
  }

  it('app sign-in accepts only S256 challenges', () => {
    const allowed = ['com.example.app:/cb']
    const q = (method: string, challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM') =>
      new URLSearchParams({
        redirect_uri: allowed[0]!,
        code_challenge: challenge,
        code_challenge_method: method,
      })
    expect(readAppRequest(q('S256'), allowed)?.challenge).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')
    expect(() => readAppRequest(q('plain'), allowed)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    )
    expect(() => readAppRequest(q('S256', 'short'), allowed)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    )
  })
})
