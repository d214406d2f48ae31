import { Agent, request } from 'node:http';
import { marshall, unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';

/**
 * A lean transport for the simulation's DocumentClient: the same DynamoDB JSON
 * requests the SDK sends (same operations, same marshalled items, keys and
 * expression values), posted straight to DynamoDB Local over a keep-alive agent.
 *
 * Why: a 300-build run spent about 40% of the Node process's CPU in the SDK's
 * middleware stack (signing, schema walks, retries, endpoint resolution) for a
 * local server that checks none of it, and the 10,000-build runs are CPU-bound on
 * a shared 2-core box. The stores are unchanged: they build their commands and
 * read the answers exactly as with the SDK (counting-db.ts sits in front of this).
 * Table administration and anything not listed goes through the SDK.
 *
 * Errors carry the DynamoDB error name (`ConditionalCheckFailedException`,
 * `TransactionCanceledException` with its `CancellationReasons`), as the SDK's do:
 * that is all the stores look at (functions/store/dynamo-ops.ts isConditionFailure).
 */
type Attrs = Record<string, unknown>;
type Wire = Record<string, unknown>;

const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

const m = (v: unknown): Wire | undefined => (v === undefined ? undefined : (marshall(v as Record<string, NativeAttributeValue>, MARSHALL) as Wire));
const u = (v: unknown): Attrs | undefined => (v === undefined ? undefined : unmarshall(v as Parameters<typeof unmarshall>[0]));
const uList = (v: unknown): Attrs[] | undefined => (Array.isArray(v) ? v.map((i) => u(i) ?? {}) : undefined);

/** The expression parts of an item operation (Put, Update, Delete, ConditionCheck; alone or in a transaction). */
function marshallOp(op: Attrs): Wire {
  const out: Wire = { ...op };
  for (const f of ['Item', 'Key', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const) if (op[f] !== undefined) out[f] = m(op[f]);
  return out;
}

type Req = { PutRequest?: { Item: Attrs }; DeleteRequest?: { Key: Attrs } };
const marshallWrites = (reqs: Record<string, Req[]>): Wire =>
  Object.fromEntries(
    Object.entries(reqs).map(([t, list]) => [
      t,
      list.map((r) => (r.PutRequest ? { PutRequest: { Item: m(r.PutRequest.Item) } } : { DeleteRequest: { Key: m(r.DeleteRequest?.Key) } })),
    ]),
  );
const unmarshallWrites = (reqs: unknown): Record<string, Req[]> | undefined =>
  reqs && typeof reqs === 'object'
    ? Object.fromEntries(
        Object.entries(reqs as Record<string, Wire[]>).map(([t, list]) => [
          t,
          list.map((r) => {
            const put = r.PutRequest as Wire | undefined;
            const del = r.DeleteRequest as Wire | undefined;
            return put ? { PutRequest: { Item: u(put.Item) ?? {} } } : { DeleteRequest: { Key: u(del?.Key) ?? {} } };
          }),
        ]),
      )
    : undefined;

type KeysAndAttrs = { Keys: Attrs[] } & Attrs;
const marshallKeys = (reqs: Record<string, KeysAndAttrs>): Wire =>
  Object.fromEntries(Object.entries(reqs).map(([t, r]) => [t, { ...r, Keys: r.Keys.map((k) => m(k)) }]));
const unmarshallKeys = (reqs: unknown): Record<string, KeysAndAttrs> | undefined =>
  reqs && typeof reqs === 'object'
    ? Object.fromEntries(Object.entries(reqs as Record<string, Wire>).map(([t, r]) => [t, { ...r, Keys: uList(r.Keys) ?? [] }]))
    : undefined;

/** Request and answer conversions per DocumentClient command: what lib-dynamodb marshals for each. */
const CODECS: Record<string, { in: (i: Attrs) => Wire; out: (o: Wire) => Attrs }> = {
  GetCommand: { in: marshallOp, out: (o) => ({ ...o, Item: u(o.Item) }) },
  PutCommand: { in: marshallOp, out: (o) => ({ ...o, Attributes: u(o.Attributes) }) },
  UpdateCommand: { in: marshallOp, out: (o) => ({ ...o, Attributes: u(o.Attributes) }) },
  DeleteCommand: { in: marshallOp, out: (o) => ({ ...o, Attributes: u(o.Attributes) }) },
  QueryCommand: { in: marshallOp, out: (o) => ({ ...o, Items: uList(o.Items), LastEvaluatedKey: u(o.LastEvaluatedKey) }) },
  ScanCommand: { in: marshallOp, out: (o) => ({ ...o, Items: uList(o.Items), LastEvaluatedKey: u(o.LastEvaluatedKey) }) },
  BatchGetCommand: {
    in: (i) => ({ ...i, RequestItems: marshallKeys(i.RequestItems as Record<string, KeysAndAttrs>) }),
    out: (o) => ({
      ...o,
      Responses: o.Responses ? Object.fromEntries(Object.entries(o.Responses as Record<string, unknown[]>).map(([t, l]) => [t, uList(l) ?? []])) : undefined,
      UnprocessedKeys: unmarshallKeys(o.UnprocessedKeys),
    }),
  },
  BatchWriteCommand: {
    in: (i) => ({ ...i, RequestItems: marshallWrites(i.RequestItems as Record<string, Req[]>) }),
    out: (o) => ({ ...o, UnprocessedItems: unmarshallWrites(o.UnprocessedItems) }),
  },
  TransactWriteCommand: {
    in: (i) => ({
      ...i,
      TransactItems: (i.TransactItems as Array<Record<string, Attrs>>).map((t) => Object.fromEntries(Object.entries(t).map(([k, op]) => [k, marshallOp(op)]))),
    }),
    out: (o) => o,
  },
  TransactGetCommand: {
    in: (i) => ({ ...i, TransactItems: (i.TransactItems as Array<{ Get: Attrs }>).map((t) => ({ Get: marshallOp(t.Get) })) }),
    out: (o) => ({ ...o, Responses: Array.isArray(o.Responses) ? (o.Responses as Wire[]).map((r) => ({ ...r, Item: u(r.Item) })) : undefined }),
  },
};

/** DocumentClient command → DynamoDB operation (the X-Amz-Target), where they differ. */
const OPERATIONS: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactWriteCommand: 'TransactWriteItems',
  TransactGetCommand: 'TransactGetItems',
};

interface Command {
  constructor: { name: string };
  input: Attrs;
}

export class DynamoError extends Error {
  CancellationReasons?: Array<{ Code?: string; Message?: string }>;
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const MAX_ATTEMPTS = 5;
const transient = (err: unknown): boolean => {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.message === 'socket hang up';
};

/**
 * A `send` for the DocumentClient commands above over plain HTTP; `fallback` (the
 * SDK's own send) for the others.
 */
export function leanSend(endpoint: string, fallback: (cmd: Command) => Promise<Attrs>): (cmd: Command) => Promise<Attrs> {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  // DynamoDB Local parses the header for the access key and region; it checks no signature.
  const authorization = 'AWS4-HMAC-SHA256 Credential=local/20260105/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0';
  const post = (op: string, body: string) =>
    new Promise<{ status: number; json: Wire }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/',
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': `DynamoDB_20120810.${op}`,
            authorization,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              const text = Buffer.concat(chunks).toString('utf8');
              resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as Wire) : {} });
            } catch (err) {
              reject(err);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  return async (cmd) => {
    const name = cmd.constructor.name;
    const codec = CODECS[name];
    if (!codec) return fallback(cmd);
    const op = OPERATIONS[name] ?? name.slice(0, -'Command'.length);
    const body = JSON.stringify(codec.in(cmd.input));
    let answer: { status: number; json: Wire } | null = null;
    for (let attempt = 1; answer === null; attempt++) {
      try {
        answer = await post(op, body);
      } catch (err) {
        // A kept-alive socket the server closed meanwhile ("socket hang up", ECONNRESET):
        // retried as the SDK's retry strategy does with such transient errors.
        if (attempt >= MAX_ATTEMPTS || !transient(err)) throw err;
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
    const { status, json } = answer;
    if (status !== 200) {
      const type = String(json.__type ?? 'UnknownError');
      const err = new DynamoError(type.slice(type.lastIndexOf('#') + 1), String(json.message ?? json.Message ?? type));
      if (Array.isArray(json.CancellationReasons)) err.CancellationReasons = json.CancellationReasons as DynamoError['CancellationReasons'];
      throw err;
    }
    return codec.out(json);
  };
}
