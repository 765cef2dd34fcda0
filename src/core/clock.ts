/**
 * The clock lives beside the store contracts (src/stores/clock.ts) because stores take
 * one too and must not depend on the core; the core keeps importing it from here.
 */
export { type Clock, fakeClock, systemClock } from '../stores/clock.ts'
