import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsApp } from '../aws/compose.js';

/**
 * SQS wake-ups → one dispatch run. The messages carry no work: whatever they say,
 * the dispatcher reads pending tasks from the table. The run stops claiming
 * STOP_BEFORE_TIMEOUT_MS before the function's timeout (a launch in flight then has
 * time to end, or to give its claim back) and wakes the dispatcher for what is left.
 * A failed run reports every message as failed so SQS redelivers (and eventually
 * dead-letters) them.
 */
const app = awsApp('dispatcher');

/** Longer than the longest launch (functions/aws/compose-fleet.ts: short calls, few placements). */
export const STOP_BEFORE_TIMEOUT_MS = 30_000;

export const handler = middy<SQSEvent, SQSBatchResponse>().handler(async (event, context) => {
  try {
    const deadline = app.ports.clock.now() + context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS;
    const started = await app.dispatch({ deadline });
    app.ports.log.info('dispatch', { wakeups: event.Records.length, started });
    return { batchItemFailures: [] };
  } catch (err) {
    app.ports.log.error(`dispatch failed: ${(err as Error).message}`);
    return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
});
