import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { PublishRepository } from '../core/ports.js';
import { publishRepositoryKey, repositoryOf } from '../core/publish-ledger.js';

/**
 * Queue messages on AWS. They are wake-ups and requests, never the source of truth
 * for builds or publishes: the table is (publish requests live in its ledger). The
 * publish queue is FIFO with the repository as the message group, so the trigger
 * sees one repository's wake-ups in order; the ledger's lease, not the queue, keeps
 * runs of one repository from overlapping.
 */
export async function sendWake(sqs: SQSClient, queueUrl: string, reason: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ wake: reason }) }));
}

/** The publish queue's message: which repository has pending ledger entries. */
export interface PublishWakeMessage {
  repository: PublishRepository;
}

/**
 * Wakes the publisher of one repository. The request itself is already in the
 * ledger, so the message carries only the repository; its deduplication id is the
 * ledger entry's (unique), so two identical requests are two messages, and a
 * duplicated wake-up finds the entries already done and starts nothing.
 */
export async function sendPublishWake(sqs: SQSClient, queueUrl: string, repo: PublishRepository, entryIds: readonly string[]): Promise<void> {
  const body: PublishWakeMessage = { repository: repositoryOf(repo) };
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(body),
      MessageGroupId: publishRepositoryKey(repo).slice(0, 128),
      MessageDeduplicationId: entryIds[0] ?? randomUUID(),
    }),
  );
}
