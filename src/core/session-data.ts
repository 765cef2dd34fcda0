import type { SessionRecord } from '../stores/contracts.ts'
import { copySessionRecord } from './cached-copies.ts'
import { AuthError } from './errors.ts'

/** What `session.data` holds: anything JSON can carry. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/**
 * The keys an app stores, typed by declaration merging:
 * `declare module 'gatehouse-auth' { interface SessionData { cart: string[] } }`.
 * Keys not declared here take any JSON value. Keys starting with `gatehouse:` are Gatehouse's.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface SessionData {}

/** The declared type of a key, else any JSON value. */
export type SessionValue<K extends string> = K extends keyof SessionData ? SessionData[K] : JsonValue

/** Writes a session's data: the store's setSessionData, plus the session cache. */
export type SaveSessionData = (sessionId: string, dataJson: string | null) => Promise<void>

/**
 * One request's view of a session's data. Reads come from what was loaded with the session
 * (no round trip); writes are kept here and saved once, at the end of the request, and only
 * when something changed — a request that reads or sets the same value writes nothing.
 * Values are copied in and out (as JSON): mutating a returned object changes nothing until
 * it is set again.
 */
export class SessionDataBag {
  /** Key → the value as JSON text; parsed from the stored text on first use. */
  #parsed: Map<string, string> | null = null
  #saved: string | null = null
  #dirty = false

  constructor(
    readonly sessionId: string,
    private readonly stored: string | undefined,
    private readonly maxBytes: number,
    private readonly write: SaveSessionData,
  ) {}

  // Made on every authenticated request, used on few: nothing is parsed until a route asks.
  get #values(): Map<string, string> {
    if (this.#parsed === null) {
      this.#parsed = parseStored(this.stored)
      this.#saved = this.#parsed.size > 0 ? this.#serialize(this.#parsed) : null
    }
    return this.#parsed
  }

  get<K extends string>(key: K): SessionValue<K> | undefined {
    const raw = this.#values.get(key)
    return raw === undefined ? undefined : (JSON.parse(raw) as SessionValue<K>)
  }

  has(key: string): boolean {
    return this.#values.has(key)
  }

  keys(): string[] {
    return [...this.#values.keys()]
  }

  /**
   * Sets a key. Throws TypeError for a value JSON cannot carry (undefined, a function, a
   * BigInt, a cycle) and AuthError SESSION_DATA_TOO_LARGE (413) when the session's data would
   * pass `session.dataMaxBytes`; either way nothing changes.
   */
  set<K extends string>(key: K, value: SessionValue<K>): void {
    const raw = toJson(value)
    if (this.#values.get(key) === raw) return
    const next = new Map(this.#values).set(key, raw)
    const size = Buffer.byteLength(this.#serialize(next))
    if (size > this.maxBytes)
      throw new AuthError('SESSION_DATA_TOO_LARGE', {
        message: `The session data would take ${size} bytes; the limit is ${this.maxBytes}.`,
      })
    this.#values.set(key, raw)
    this.#dirty = true
  }

  /** Removes a key; true when it was there. */
  delete(key: string): boolean {
    const had = this.#values.delete(key)
    if (had) this.#dirty = true
    return had
  }

  /** Reads and removes a key in one step (one-shot values such as flash messages). */
  take<K extends string>(key: K): SessionValue<K> | undefined {
    const value = this.get(key)
    this.delete(key)
    return value
  }

  clear(): void {
    if (this.#values.size > 0) this.#dirty = true
    this.#values.clear()
  }

  /** Something changed since the session was loaded or last saved. */
  get dirty(): boolean {
    return this.#dirty
  }

  /**
   * Writes the data when it changed (the adapters call this once per request); true when it
   * wrote. Setting a key back to what was stored counts as no change.
   */
  async save(): Promise<boolean> {
    if (!this.#dirty) return false
    const json = this.#values.size > 0 ? this.#serialize(this.#values) : null
    this.#dirty = false
    if (json === this.#saved) return false
    await this.write(this.sessionId, json)
    this.#saved = json
    return true
  }

  #serialize(values: Map<string, string>): string {
    let out = '{'
    for (const [k, v] of values) out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${v}`
    return `${out}}`
  }
}

function toJson(value: unknown): string {
  let raw: string | undefined
  try {
    raw = JSON.stringify(value)
  } catch (cause) {
    throw new TypeError('session.data.set: the value cannot be stored as JSON', { cause })
  }
  if (raw === undefined) throw new TypeError('session.data.set: the value cannot be stored as JSON')
  return raw
}

/** The stored text is ours, but a damaged row must not break the session: it reads as empty. */
function parseStored(stored: string | undefined): Map<string, string> {
  const values = new Map<string, string>()
  if (!stored) return values
  try {
    const parsed = JSON.parse(stored) as unknown
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return values
    for (const [k, v] of Object.entries(parsed)) values.set(k, JSON.stringify(v))
  } catch {
    values.clear()
  }
  return values
}

/** A session as the adapters hand it to routes: the record, plus its data. */
export type LiveSession = SessionRecord & { readonly data: SessionDataBag }

/**
 * The record's own fields, copied, and `data` as a getter on the prototype: the record still
 * serialises and spreads as before, every instance shares one hidden class, and the bag is
 * made on first use only (profiled: Object.defineProperty of a per-record value cost about as
 * much as the whole cached session check).
 */
class LiveSessionRecord {
  readonly #maxBytes: number
  readonly #write: SaveSessionData
  #bag: SessionDataBag | null = null

  constructor(record: SessionRecord, maxBytes: number, write: SaveSessionData) {
    this.#maxBytes = maxBytes
    this.#write = write
    copySessionRecord(record, this)
  }

  get data(): SessionDataBag {
    const record = this as unknown as SessionRecord
    this.#bag ??= new SessionDataBag(record.id, record.dataJson, this.#maxBytes, this.#write)
    return this.#bag
  }

  /** The bag when a route changed it, else null. */
  changedData(): SessionDataBag | null {
    return this.#bag?.dirty ? this.#bag : null
  }
}

/** A copy of the record with its `data` bag (the record itself is left as it is). */
export function withSessionData(
  session: SessionRecord,
  maxBytes: number,
  write: SaveSessionData,
): LiveSession {
  if (session instanceof LiveSessionRecord) return session as unknown as LiveSession
  return new LiveSessionRecord(session, maxBytes, write) as unknown as LiveSession
}

/** The bag of a session handed out by withSessionData when a route changed it, else null. */
export function changedSessionData(session: SessionRecord | null | undefined): SessionDataBag | null {
  return session instanceof LiveSessionRecord ? session.changedData() : null
}
