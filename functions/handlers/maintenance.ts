import middy from '@middy/core';
import { awsApp } from '../aws/compose.js';

/**
 * Scheduled maintenance (EventBridge rule → `{"job": "<name>"}`, or a plain
 * scheduled event for the daily set): expired projects, pruning, EOL chroots,
 * reconcile. The jobs come from the one App of functions/aws/compose.ts.
 *
 * The stack (lib/constructs/workers.ts) gives it one rule per job with
 * `{"job": name}`, the queues it wakes, the event bus and builder terminate rights.
 */
const app = awsApp('maintenance');

export const handler = middy().handler(async (event: unknown) => {
  const reports = await app.maintenance.runEvent(event);
  for (const r of reports) app.ports.log.info('maintenance', { job: r.job, changed: r.changed, skipped: r.skipped });
  return reports;
});
