import type { ActionDeps } from './action-ports.js';
import { executeAction, LostClaimError } from './actions.js';

/**
 * Runs due actions with at-least-once semantics. A runner claims an action with a
 * lease (a conditional write on the due time it read), runs one attempt and records
 * the outcome under the attempt number. A runner that dies mid-attempt leaves the
 * action in the due queue at its lease end, and the next runner repeats it (every
 * action kind is idempotent). Failures are retried with backoff up to `maxAttempts`,
 * then the action is `failed` with its error visible through the API.
 */
export interface RunnerSettings {
  /** How long one attempt may run before another runner may take the action over. */
  leaseMs: number;
  maxAttempts: number;
  /** Delay before retry number `attempt` (1-based: after the first failure, 1). */
  backoffMs(attempt: number): number;
  /** Actions taken per pass. */
  batch: number;
}

export const DEFAULT_RUNNER_SETTINGS: RunnerSettings = {
  leaseMs: 15 * 60_000,
  maxAttempts: 5,
  backoffMs: (n) => Math.min(10 * 60_000, 5_000 * 2 ** (n - 1)),
  batch: 25,
};

export interface RunReport {
  succeeded: number[];
  retried: number[];
  failed: number[];
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 2000);

/** One pass over the due queue; returns what happened to each action it took. */
export async function runDueActions(deps: ActionDeps, settings: RunnerSettings = DEFAULT_RUNNER_SETTINGS): Promise<RunReport> {
  const report: RunReport = { succeeded: [], retried: [], failed: [] };
  const due = await deps.actions.listDueActions(deps.clock.now(), settings.batch);
  for (const seen of due) {
    if (seen.due_at === null) continue;
    const now = deps.clock.now();
    const action = await deps.actions.claimAction(seen.id, seen.due_at, now + settings.leaseMs, Math.floor(now / 1000));
    if (!action) continue; // another runner has it
    const attempt = action.attempts;
    try {
      const result = await executeAction(deps, action);
      await deps.actions.finishAction(action.id, attempt, { state: 'succeeded', endedOn: Math.floor(deps.clock.now() / 1000), result });
      report.succeeded.push(action.id);
    } catch (err) {
      if (err instanceof LostClaimError) continue; // the attempt that replaced this one reports
      const end = deps.clock.now();
      if (attempt >= settings.maxAttempts) {
        await deps.actions.finishAction(action.id, attempt, { state: 'failed', endedOn: Math.floor(end / 1000), error: errorText(err) });
        report.failed.push(action.id);
      } else {
        await deps.actions.retryAction(action.id, attempt, end + settings.backoffMs(attempt), errorText(err));
        report.retried.push(action.id);
      }
    }
  }
  return report;
}
