import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobClaims } from '../core/maintenance.js';
import { maintenanceKeys, TTL_ATTRIBUTE } from './table.js';

/**
 * Maintenance leases in the table: a conditional put wins only when nobody holds
 * the subject or the holder's lease ran out (a crashed runner). TTL cleans up
 * leases nobody released.
 */
export class DynamoJobClaims implements JobClaims {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claim(job: string, subject: string, holder: string, now: number, leaseMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...maintenanceKeys.claim(job, subject),
            entity: 'maintenance-claim',
            holder,
            lease_until: now + leaseMs,
            [TTL_ATTRIBUTE]: Math.ceil((now + leaseMs) / 1000) + 3600,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR lease_until < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async release(job: string, subject: string, holder: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: maintenanceKeys.claim(job, subject),
          ConditionExpression: 'holder = :h',
          ExpressionAttributeValues: { ':h': holder },
        }),
      );
    } catch (err) {
      // Someone took over an expired lease: theirs now, leave it.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }
}
