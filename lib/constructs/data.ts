import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TTL_ATTRIBUTE, tableDefinition } from '../../functions/store/table.js';

export interface DataProps {
  /**
   * Keep the table when the stack is deleted and refuse accidental deletion.
   * @default false
   */
  readonly retain?: boolean;
}

/**
 * The single DynamoDB table. Keys and GSIs are taken from
 * `functions/store/table.ts` (the module the code queries through), so the
 * deployed table and the code cannot disagree.
 */
export class Data extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DataProps = {}) {
    super(scope, id);
    const def = tableDefinition('unused');
    const attrType = (name: string): dynamodb.AttributeType => {
      const found = def.AttributeDefinitions?.find((a) => a.AttributeName === name);
      if (found === undefined) throw new Error(`table.ts defines no attribute ${name}`);
      return found.AttributeType === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING;
    };
    const keyOf = (schema: typeof def.KeySchema, type: 'HASH' | 'RANGE'): dynamodb.Attribute | undefined => {
      const name = schema?.find((k) => k.KeyType === type)?.AttributeName;
      return name === undefined ? undefined : { name, type: attrType(name) };
    };
    const partitionKey = keyOf(def.KeySchema, 'HASH');
    if (partitionKey === undefined) throw new Error('table.ts defines no partition key');

    const retain = props.retain ?? false;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey,
      sortKey: keyOf(def.KeySchema, 'RANGE'),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const gsi of def.GlobalSecondaryIndexes ?? []) {
      const pk = keyOf(gsi.KeySchema, 'HASH');
      if (gsi.IndexName === undefined || pk === undefined) throw new Error('table.ts GSI without name or key');
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.IndexName,
        partitionKey: pk,
        sortKey: keyOf(gsi.KeySchema, 'RANGE'),
        projectionType: projectionOf(gsi.Projection?.ProjectionType),
        nonKeyAttributes: gsi.Projection?.NonKeyAttributes,
      });
    }
  }
}

function projectionOf(type: string | undefined): dynamodb.ProjectionType {
  switch (type) {
    case 'KEYS_ONLY':
      return dynamodb.ProjectionType.KEYS_ONLY;
    case 'INCLUDE':
      return dynamodb.ProjectionType.INCLUDE;
    default:
      return dynamodb.ProjectionType.ALL;
  }
}
