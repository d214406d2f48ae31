import { createHash } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { repositoryKey, type PublishRequestInput } from '../publish/publish-request.js';

/**
 * Queue messages on AWS. They are wake-ups and requests, never the source of truth
 * for builds: the table is. The publish queue is FIFO with the repository as the
 * message group, so runs for one repository are serialized and others run in
 * parallel.
 */
export async function sendWake(sqs: SQSClient, queueUrl: string, reason: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ wake: reason }) }));
}

export async function sendPublish(sqs: SQSClient, queueUrl: string, req: PublishRequestInput): Promise<void> {
  const body = JSON.stringify(req);
  const group = repositoryKey({ owner: req.owner, dirname: req.dirname, chroot: req.chroot, devel: req.devel ?? false });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageGroupId: group.slice(0, 128),
      // Same request twice within the dedup window is delivered once.
      MessageDeduplicationId: createHash('sha256').update(body).digest('hex'),
    }),
  );
}
