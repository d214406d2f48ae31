import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { batchWrite } from '../../functions/store/dynamo-ops.js';

/**
 * DynamoDB Local never leaves items unprocessed, so the retry of every batch write
 * (search index items, imports, deletes) is shown against a mocked client; the
 * exact inputs of every call are asserted.
 */
const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const mock = mockClient(db);
afterEach(() => mock.reset());

const put = (n: number) => ({ PutRequest: { Item: { pk: `P#${n}`, sk: 'S' } } });

describe('batchWrite', () => {
  it('sends 25 requests a call and sends again exactly what came back unprocessed', async () => {
    const items = Array.from({ length: 27 }, (_, i) => put(i));
    mock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { t: [put(3), put(7)] } })
      .resolvesOnce({ UnprocessedItems: {} })
      .resolvesOnce({});
    await batchWrite(db, 't', items);
    expect(mock.commandCalls(BatchWriteCommand).map((c) => c.args[0].input)).toEqual([
      { RequestItems: { t: items.slice(0, 25) } },
      { RequestItems: { t: [put(3), put(7)] } },
      { RequestItems: { t: items.slice(25) } },
    ]);
  });
});
