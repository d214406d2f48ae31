import middy from '@middy/core';
import { awsLifecycle } from '../aws/compose.js';
import { awsFleet } from '../aws/compose-fleet.js';
import { terminateStrays } from '../core/dispatcher.js';
import { reap } from '../core/task-lifecycle.js';

/**
 * Every minute: tasks whose builder stopped heartbeating are retried (up to 3
 * attempts) or failed with a reason, and their instances terminated; instances no
 * active task points at (strays) are terminated too. Wakes the
 * dispatcher so requeued work and any lost wake-up get picked up.
 */
const lifecycle = awsLifecycle();
const fleet = awsFleet();

export const handler = middy().handler(async () => {
  const res = await reap({ ...lifecycle, terminate: (id) => fleet.terminate(id) }, { heartbeatTimeoutMs: 5 * 60_000, maxAttempts: 3 });
  const strays = await terminateStrays(lifecycle.builds, fleet, Date.now(), 10 * 60_000);
  await lifecycle.wake();
  console.log(JSON.stringify({ msg: 'reap', ...res, strays }));
  return { ...res, strays };
});
