/**
 * The job system: the only place that knows BullMQ. The composition root creates a
 * `BullJobDispatcher` (role bot), a `JobWorker` (role worker), or both.
 */
export { BullJobDispatcher, JOB_STATES, type BullJobDispatcherOptions, type JobStateName } from './dispatcher.js';
export { JobWorker, type JobWorkerOptions } from './worker.js';
export { BullJobOutcomes, type BullJobOutcomesOptions } from './outcomes.js';
export { CANCEL_ACTION_ID } from './messages.js';
export { DEFAULT_PREFIX, DEFAULT_QUEUE } from './keys.js';
