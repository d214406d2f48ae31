import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One DocumentClient per endpoint, created once per process (module scope on
 * Lambda). `endpoint` is set for DynamoDB Local, with `region` from the config
 * (`AWS_REGION`); on AWS the SDK's defaults apply.
 */
const clients = new Map<string, DynamoDBDocumentClient>();

export function documentClient(endpoint?: string, region = 'us-east-1'): DynamoDBDocumentClient {
  const key = endpoint ? `${endpoint} ${region}` : 'aws';
  let client = clients.get(key);
  if (!client) {
    const base = new DynamoDBClient(
      endpoint
        ? {
            endpoint,
            region,
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          }
        : {},
    );
    client = DynamoDBDocumentClient.from(base, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
    clients.set(key, client);
  }
  return client;
}
