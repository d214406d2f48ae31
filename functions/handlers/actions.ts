import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsApp } from '../aws/compose.js';

/**
 * Project actions (delete, fork copy, regenerate, chroot removal). Like the
 * dispatcher, the queue message is only a wake-up: the runner takes due actions
 * from the table with a lease, so a lost or duplicated message loses nothing and a
 * crashed run is picked up again when its lease ends (maintenance re-wakes).
 */
const app = awsApp('actions');

export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
  try {
    const report = await app.actions.run();
    app.ports.log.info('actions', { wakeups: event.Records.length, succeeded: report.succeeded, retried: report.retried, failed: report.failed });
    return { batchItemFailures: [] };
  } catch (err) {
    app.ports.log.error(`actions failed: ${(err as Error).message}`);
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
});
