import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SigningKeyStore } from '../core/ports.js';
import { isConditionFailure } from './dynamo-ops.js';
import { signingKeyKey } from './table.js';

/**
 * Sealed project signing keys in the table (one item per project). The first key
 * written wins, so every RPM of a project has one signer even when two publisher
 * runs create a key at once.
 */
export class DynamoSigningKeys implements SigningKeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getSealed(owner: string, project: string): Promise<unknown> {
    const found = await this.db.send(new GetCommand({ TableName: this.table, Key: signingKeyKey(owner, project), ConsistentRead: true }));
    return found.Item?.sealed ?? null;
  }

  async putSealedIfAbsent(owner: string, project: string, sealed: unknown): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...signingKeyKey(owner, project), entity: 'signing-key', sealed },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }
}
