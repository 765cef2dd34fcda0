import type { InvalidationBus, User } from '../stores/contracts.ts'
import { copyUser } from './cached-copies.ts'
import { ExactCache } from './exact-cache.ts'

/**
 * Users read by bearer-token authentication, exact through the invalidation channel (see
 * ExactCache). Without a channel (PostgreSQL alone, custom stores) there is no cache.
 */
export class UserCache extends ExactCache<User> {
  constructor(bus: InvalidationBus, maxEntries: number) {
    super(bus, { maxEntries, ownerOf: (_user, id) => id, copy: copyUser })
  }
}
