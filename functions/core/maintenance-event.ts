import * as z from 'zod';
import { JOBS, runJob, type JobName, type JobReport, type MaintenanceDeps } from './maintenance.js';

/**
 * What a maintenance schedule sends: `{"job": "<name>"}` (the rule's constant
 * input), or a plain EventBridge scheduled event, which runs the daily jobs.
 * Anything else is refused loudly: a misconfigured schedule must show up in the
 * function's errors, not silently do nothing.
 */
export const DAILY_JOBS: readonly JobName[] = ['delete-expired', 'prune', 'eol-chroots'];

const MaintenanceEvent = z.union([
  z.object({ job: z.enum(JOBS) }),
  z.object({ 'detail-type': z.literal('Scheduled Event'), source: z.literal('aws.events') }).transform(() => ({ job: undefined })),
]);

export function jobsOfEvent(event: unknown): readonly JobName[] {
  const parsed = MaintenanceEvent.safeParse(event);
  if (!parsed.success) throw new Error(`not a maintenance event (expected {"job": one of ${JOBS.join(', ')}})`);
  return parsed.data.job ? [parsed.data.job] : DAILY_JOBS;
}

/** Runs the event's jobs one after another; a failing job fails the invocation (EventBridge retries). */
export async function runMaintenanceEvent(deps: MaintenanceDeps, event: unknown): Promise<JobReport[]> {
  const reports: JobReport[] = [];
  for (const job of jobsOfEvent(event)) reports.push(await runJob(deps, job));
  return reports;
}
