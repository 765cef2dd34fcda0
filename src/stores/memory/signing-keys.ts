import type { SigningKeyRecord, SigningKeyStore } from '../contracts.ts'

export class MemorySigningKeyStore implements SigningKeyStore {
  private readonly keys = new Map<string, SigningKeyRecord>()

  /** Oldest first, like the SQL store. */
  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return [...this.keys.values()]
      .sort((a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0))
      .map((k) => ({ ...k }))
  }

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    if (this.keys.has(key.kid)) throw new Error('addSigningKey: duplicate kid')
    this.keys.set(key.kid, { ...key })
  }

  async retireSigningKey(kid: string, retiredAt: number, expiresAt: number): Promise<void> {
    const key = this.keys.get(kid)
    if (key) this.keys.set(kid, { ...key, retiredAt, expiresAt })
  }

  async deleteSigningKey(kid: string): Promise<void> {
    this.keys.delete(kid)
  }
}
