import type { SQSRecord } from 'aws-lambda';

/** An SQS FIFO record as the Lambda event source hands it to a handler. */
export function sqsRecord(messageId: string, body: unknown): SQSRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1700000000000',
      SenderId: 'AIDA',
      ApproximateFirstReceiveTimestamp: '1700000000001',
      MessageGroupId: 'g',
      MessageDeduplicationId: messageId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:publish.fifo',
    awsRegion: 'us-east-1',
  };
}
