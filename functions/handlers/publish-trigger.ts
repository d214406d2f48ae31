import { ECSClient } from '@aws-sdk/client-ecs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runPublishBatch } from '../aws/publish-trigger.js';
import { loadConfig, requireConfig } from '../config.js';
import { systemClock } from '../core/ports.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoPublishLedger } from '../store/dynamo-publish-ledger.js';

const config = loadConfig();
// Fails at cold start, naming the variable, rather than as an ECS error per message.
const cluster = requireConfig(config, 'PUBLISHER_CLUSTER_ARN');
const taskDefinition = requireConfig(config, 'PUBLISHER_TASK_DEFINITION_ARN');
const ecs = new ECSClient({});
const ledger = new DynamoPublishLedger(documentClient(config.DYNAMODB_ENDPOINT, config.AWS_REGION), config.TABLE_NAME);

export const handler = middy<SQSEvent, SQSBatchResponse>().handler((event) =>
  runPublishBatch(
    {
      ecs,
      ledger,
      clock: systemClock,
      settings: {
        cluster: cluster,
        taskDefinition: taskDefinition,
        containerName: config.PUBLISHER_CONTAINER_NAME,
        subnets: config.PUBLISHER_SUBNETS,
        securityGroup: config.PUBLISHER_SECURITY_GROUP,
        assignPublicIp: config.PUBLISHER_ASSIGN_PUBLIC_IP,
        // Fargate usually starts in under a minute; a task that never starts blocks
        // its repository this long, then maintenance wakes a new one.
        startLeaseMs: 10 * 60_000,
      },
    },
    event.Records,
  ),
);
