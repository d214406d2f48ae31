import middy from '@middy/core';
import { awsApp } from '../aws/compose.js';

/**
 * Every minute: tasks whose builder stopped heartbeating are retried (up to 3
 * attempts) or failed with a reason, and their instances terminated; instances no
 * active task points at (strays) are terminated too. Wakes the
 * dispatcher so requeued work and any lost wake-up get picked up.
 */
const app = awsApp('reaper');

export const handler = middy().handler(async () => {
  const res = await app.reap();
  const strays = await app.terminateStrays();
  await app.ports.wake();
  app.ports.log.info('reap', { requeued: res.requeued, failed: res.failed, closed: res.closed, strays });
  return { ...res, strays };
});
