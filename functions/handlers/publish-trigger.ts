import { ECSClient } from '@aws-sdk/client-ecs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { runPublishBatch } from '../aws/publish-trigger.js';
import { loadConfig, requireConfig } from '../config.js';

const config = loadConfig();
// Fails at cold start, naming the variable, rather than as an ECS error per message.
const cluster = requireConfig(config, 'PUBLISHER_CLUSTER_ARN');
const taskDefinition = requireConfig(config, 'PUBLISHER_TASK_DEFINITION_ARN');
const ecs = new ECSClient({});

export const handler = middy<SQSEvent, SQSBatchResponse>().handler((event) =>
  runPublishBatch(
    ecs,
    {
      cluster,
      taskDefinition,
      containerName: config.PUBLISHER_CONTAINER_NAME,
      subnets: config.PUBLISHER_SUBNETS,
      securityGroup: config.PUBLISHER_SECURITY_GROUP,
      assignPublicIp: config.PUBLISHER_ASSIGN_PUBLIC_IP,
      maxWaitSeconds: 13 * 60,
    },
    event.Records,
  ),
);
