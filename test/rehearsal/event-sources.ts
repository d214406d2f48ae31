import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { REGION } from './cfn.js';
import type { Deployment } from './deploy.js';
import type { AwsGateway } from './gateway.js';
import type { LambdaService } from './lambdas.js';

/**
 * Lambda's SQS event source mappings: one poller per mapping of the template, with
 * its batch size, calling SQS through the gateway with the function's own role (as
 * Lambda polls with the execution role), deleting what the function did not report
 * as a batch item failure.
 */
export class SqsPollers {
  private running = false;
  private loops: Promise<void>[] = [];
  private clients: SQSClient[] = [];
  readonly errors: string[] = [];
  readonly batches: Record<string, number> = {};

  constructor(
    private readonly d: Deployment,
    private readonly gateway: AwsGateway,
    private readonly lambdas: LambdaService,
  ) {}

  mappings(): Array<{ id: string; fn: string; queueUrl: string; queueArn: string; batchSize: number; reportFailures: boolean }> {
    const r = this.d.resolver;
    return Object.entries(this.d.template.Resources)
      .filter(([, x]) => x.Type === 'AWS::Lambda::EventSourceMapping')
      .map(([id, x]) => {
        const p = x.Properties ?? {};
        const arn = r.resolveString(p.EventSourceArn);
        const queue = [...this.d.queues].find(([, q]) => q.arn === arn);
        const fn = this.lambdas.byArn(r.resolveString(p.FunctionName));
        if (!queue || !fn) throw new Error(`${id}: event source ${arn} or function not found`);
        return {
          id,
          fn: fn.logicalId,
          queueUrl: queue[0],
          queueArn: arn,
          batchSize: Number(p.BatchSize ?? 10),
          reportFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
        };
      });
  }

  start(): void {
    this.running = true;
    for (const m of this.mappings()) {
      const fn = this.lambdas.functions.find((f) => f.logicalId === m.fn);
      if (!fn) continue;
      const creds = this.gateway.credentialsFor(fn.principal);
      const sqs = new SQSClient({
        endpoint: this.gateway.url,
        region: REGION,
        credentials: { accessKeyId: creds.AWS_ACCESS_KEY_ID, secretAccessKey: creds.AWS_SECRET_ACCESS_KEY },
      });
      this.clients.push(sqs);
      this.batches[m.id] = 0;
      this.loops.push(this.loop(sqs, m));
    }
  }

  private async loop(sqs: SQSClient, m: ReturnType<SqsPollers['mappings']>[number]): Promise<void> {
    while (this.running) {
      try {
        const got = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: m.queueUrl, MaxNumberOfMessages: Math.min(10, m.batchSize), WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
        );
        const messages = got.Messages ?? [];
        if (messages.length === 0) continue;
        this.batches[m.id] = (this.batches[m.id] ?? 0) + 1;
        const event = {
          Records: messages.map((msg) => ({
            messageId: msg.MessageId,
            receiptHandle: msg.ReceiptHandle,
            body: msg.Body,
            attributes: msg.Attributes ?? {},
            messageAttributes: msg.MessageAttributes ?? {},
            md5OfBody: msg.MD5OfBody,
            eventSource: 'aws:sqs',
            eventSourceARN: m.queueArn,
            awsRegion: REGION,
          })),
        };
        let failed = new Set<string>(messages.map((x) => x.MessageId ?? ''));
        try {
          const result = (await this.lambdas.invoke(m.fn, event)) as { batchItemFailures?: Array<{ itemIdentifier: string }> } | null;
          failed = new Set(m.reportFailures ? (result?.batchItemFailures ?? []).map((f) => f.itemIdentifier) : []);
        } catch (err) {
          this.errors.push(`${m.fn}: ${(err as Error).message}`);
        }
        const done = messages.filter((x) => !failed.has(x.MessageId ?? ''));
        if (done.length > 0) {
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: m.queueUrl, Entries: done.map((x, i) => ({ Id: String(i), ReceiptHandle: x.ReceiptHandle })) }));
        }
      } catch (err) {
        if (this.running) this.errors.push(`poller ${m.id}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    for (const c of this.clients) c.destroy();
  }
}
