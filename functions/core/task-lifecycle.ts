/**
 * The build lifecycle on the server, split by job (see functions/core/lifecycle-deps.ts).
 */
export type { LifecycleDeps } from './lifecycle-deps.js';
export { onHeartbeat, onStarted, taskJson, taskOfCredential, taskResultPrefix, type TaskContext } from './builder-session.js';
export { closeTask, onFinished, type FinishReport, type Outcome } from './task-outcome.js';
export { reap, type ReaperSettings } from './reaper.js';
