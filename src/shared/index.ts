/**
 * Runtime helpers the engine, the adapters and the simulator share: the keyed work queue, its
 * clock, bounded exponential backoff, and the coalescer of idempotent tasks. Not the core (src/core
 * has no clock and no timers), and depending on nothing in src/ but the core; eslint.config.js
 * keeps it that way.
 */
export { backoffDelay, type Backoff } from './backoff.js';
export { Coalescer } from './coalescer.js';
export { systemClock, type Clock, type TimerHandle } from './clock.js';
export {
  LOW_MAX_WAIT_MS,
  WorkQueue,
  type Priority,
  type Requeue,
  type WorkQueueOptions,
} from './work-queue.js';
