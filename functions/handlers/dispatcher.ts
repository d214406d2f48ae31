import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsApp } from '../aws/compose.js';

/**
 * SQS wake-ups → one dispatch run. The messages carry no work: whatever they say,
 * the dispatcher reads pending tasks from the table. A failed run reports every
 * message as failed so SQS redelivers (and eventually dead-letters) them.
 */
const app = awsApp('dispatcher');

export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event) => {
  try {
    const started = await app.dispatch();
    app.ports.log.info('dispatch', { wakeups: event.Records.length, started });
    return { batchItemFailures: [] };
  } catch (err) {
    app.ports.log.error(`dispatch failed: ${(err as Error).message}`);
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
});
