/** Every key the Redis stores write, in one place. All start with the configured prefix. */
export function redisKeys(prefix: string) {
  return {
    session: (id: string) => `${prefix}session:${id}`,
    sessionPrefix: `${prefix}session:`,
    userSessions: (userId: string) => `${prefix}user-sessions:${userId}`,
    userSessionsPrefix: `${prefix}user-sessions:`,
    kv: (key: string) => `${prefix}kv:${key}`,
    /** SCAN pattern matching every key under the prefix (glob characters escaped). */
    all: `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`,
  }
}

export type RedisKeys = ReturnType<typeof redisKeys>
