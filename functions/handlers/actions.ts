import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsActionDeps } from '../aws/compose.js';
import { runDueActions } from '../core/action-runner.js';

/**
 * Project actions (delete, fork copy, regenerate, chroot removal). Like the
 * dispatcher, the queue message is only a wake-up: the runner takes due actions
 * from the table with a lease, so a lost or duplicated message loses nothing and a
 * crashed run is picked up again when its lease ends (maintenance re-wakes).
 */
const deps = awsActionDeps();

export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
  try {
    const report = await runDueActions(deps);
    console.log(JSON.stringify({ msg: 'actions', wakeups: event.Records.length, ...report }));
    return { batchItemFailures: [] };
  } catch (err) {
    console.error('actions failed', (err as Error).message);
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
});
