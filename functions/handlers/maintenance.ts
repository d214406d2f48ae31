import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { awsConfig, awsEvents, awsLifecycle } from '../aws/compose.js';
import { awsFleet } from '../aws/compose-fleet.js';
import { sendWake } from '../aws/sqs-queues.js';
import type { MaintenanceDeps } from '../core/maintenance.js';
import { runMaintenanceEvent } from '../core/maintenance-event.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoActionStore } from '../store/dynamo-action-store.js';
import { DynamoJobClaims } from '../store/dynamo-job-claims.js';

/**
 * Scheduled maintenance (EventBridge rule → `{"job": "<name>"}`, or a plain
 * scheduled event for the daily set): expired projects, pruning, EOL chroots,
 * reconcile. Composed once per container.
 *
 * The stack (lib/constructs/workers.ts) gives it one rule per job with
 * `{"job": name}`, the queues it wakes, the event bus and builder terminate rights.
 */
function compose(): MaintenanceDeps {
  const config = awsConfig();
  const lifecycle = awsLifecycle();
  const db = documentClient(config.DYNAMODB_ENDPOINT);
  const sqs = new SQSClient({});
  const actions = new DynamoActionStore(db, config.TABLE_NAME);
  return {
    store: lifecycle.store,
    builds: lifecycle.builds,
    results: lifecycle.results,
    clock: lifecycle.clock,
    claims: new DynamoJobClaims(db, config.TABLE_NAME),
    events: awsEvents(),
    publish: lifecycle.publish,
    wake: lifecycle.wake,
    fleet: awsFleet(),
    actions: {
      listDueActions: (now, limit) => actions.listDueActions(now, limit),
      wake: () => sendWake(sqs, config.ACTION_QUEUE_URL, 'maintenance'),
    },
    log: (m) => console.log(m),
  };
}

const deps = compose();

export const handler = middy().handler(async (event: unknown) => {
  const reports = await runMaintenanceEvent(deps, event);
  for (const r of reports) console.log(JSON.stringify({ msg: 'maintenance', ...r }));
  return reports;
});
