import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * A DocumentClient of its own that counts what DynamoDB read for it: items
 * evaluated (a Query's `ScannedCount`, a found GetItem, BatchGet answers), calls,
 * and read capacity units where the endpoint reports them. The benchmark and the
 * tests measure a page's cost with it: counts, not times, so they are deterministic.
 */
export interface ReadCounts {
  calls: number;
  itemsRead: number;
  readUnits: number;
}

const READS = new Set(['QueryCommand', 'ScanCommand', 'GetItemCommand', 'BatchGetItemCommand']);

interface ReadOutput {
  ScannedCount?: number;
  Item?: unknown;
  Responses?: Record<string, unknown[]>;
  ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }>;
}

export class ReadMeter {
  readonly db: DynamoDBDocumentClient;
  private counts: ReadCounts = { calls: 0, itemsRead: 0, readUnits: 0 };

  /** A meter over its own client (tests): only what goes through `db` is counted. */
  constructor(endpoint: string);
  /** A meter on an existing client (the benchmark meters the service's own client). */
  constructor(client: DynamoDBDocumentClient);
  constructor(target: string | DynamoDBDocumentClient) {
    this.db =
      typeof target === 'string'
        ? DynamoDBDocumentClient.from(
            new DynamoDBClient({
              endpoint: target,
              region: process.env.AWS_REGION ?? 'us-east-1',
              credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
            }),
            { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } },
          )
        : target;
    this.db.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName ?? '');
        const input = args.input as { ReturnConsumedCapacity?: string };
        if (READS.has(command)) input.ReturnConsumedCapacity = 'TOTAL';
        const result = await next(args);
        if (READS.has(command)) this.record(command, result.output as ReadOutput);
        return result;
      },
      { step: 'initialize', name: 'readMeter' },
    );
  }

  private record(command: string, out: ReadOutput): void {
    this.counts.calls++;
    if (command === 'GetItemCommand') this.counts.itemsRead += out.Item ? 1 : 0;
    else if (command === 'BatchGetItemCommand') this.counts.itemsRead += Object.values(out.Responses ?? {}).reduce((n, l) => n + l.length, 0);
    else this.counts.itemsRead += out.ScannedCount ?? 0;
    const cc = out.ConsumedCapacity;
    for (const c of Array.isArray(cc) ? cc : cc ? [cc] : []) this.counts.readUnits += c.CapacityUnits ?? 0;
  }

  /** The counts since the last call, then zero. */
  take(): ReadCounts {
    const out = this.counts;
    this.counts = { calls: 0, itemsRead: 0, readUnits: 0 };
    return out;
  }
}
