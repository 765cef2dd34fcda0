import type { SessionRecord, SessionStore, User } from '../contracts.ts'
import { getUser, type MemoryState } from './state.ts'

export class MemorySessionStore implements SessionStore {
  constructor(private readonly state: MemoryState) {}

  async createSession(session: SessionRecord): Promise<void> {
    if (!this.state.users.has(session.userId)) throw new Error('createSession: unknown user')
    this.state.sessions.set(session.id, { ...session })
  }

  async getSessionWithUser(id: string): Promise<{ session: SessionRecord; user: User } | null> {
    const session = this.state.sessions.get(id)
    const user = session && getUser(this.state, session.userId)
    return session && user ? { session: { ...session }, user } : null
  }

  async touchSession(id: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    const session = this.state.sessions.get(id)
    if (session) this.state.sessions.set(id, { ...session, lastSeenAt, expiresAt })
  }

  async setSessionData(id: string, dataJson: string | null): Promise<void> {
    const session = this.state.sessions.get(id)
    if (!session) return
    const { dataJson: _old, ...rest } = session
    this.state.sessions.set(id, dataJson === null ? rest : { ...rest, dataJson })
  }

  async deleteSession(id: string): Promise<void> {
    this.state.sessions.delete(id)
  }

  async deleteUserSessions(userId: string, exceptId?: string): Promise<number> {
    let deleted = 0
    for (const [id, session] of this.state.sessions) {
      if (session.userId === userId && id !== exceptId) {
        this.state.sessions.delete(id)
        deleted++
      }
    }
    return deleted
  }

  async listUserSessions(userId: string): Promise<SessionRecord[]> {
    return [...this.state.sessions.values()]
      .filter((s) => s.userId === userId)
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt || b.createdAt - a.createdAt)
      .map(({ dataJson: _data, ...s }) => s)
  }
}
