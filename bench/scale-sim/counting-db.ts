import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Counts what the real store sends to DynamoDB Local, per simulated second:
 * item writes per base-table partition key, item writes per GSI partition key
 * (where a hot index key such as `ACTIVE` shows), read and write capacity units
 * (as DynamoDB Local reports them with ReturnConsumedCapacity=INDEXES).
 *
 * It wraps `send` of the one DocumentClient the stores get; the stores are the
 * production code and do not know they are counted. GSI keys of an item are kept
 * in a shadow map (pk/sk → index keys) fed by the writes themselves, because an
 * update that does not name the index keys still rewrites the item's index entry
 * (projection ALL): the shadow says which index partition that entry lives in.
 */
type Attrs = Record<string, unknown>;
type IndexKeys = Record<string, string>;

const GSI_NAMES = ['gsi1', 'gsi2', 'gsi3'] as const;

export interface Footprint {
  reads: number;
  writes: number;
  rru: number;
  wru: number;
  /** Item writes per partition key, `base:<pk>` or `<gsi>:<pk>`. */
  perKey: Map<string, number>;
}

export const emptyFootprint = (): Footprint => ({ reads: 0, writes: 0, rru: 0, wru: 0, perKey: new Map() });

export function addFootprint(into: Footprint, f: Footprint, times = 1): void {
  into.reads += f.reads * times;
  into.writes += f.writes * times;
  into.rru += f.rru * times;
  into.wru += f.wru * times;
  for (const [k, n] of f.perKey) into.perKey.set(k, (into.perKey.get(k) ?? 0) + n * times);
}

interface CapacityEntry {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

export interface Command {
  constructor: { name: string };
  input: Attrs;
}

/** Per simulated second: item writes per key; in total: the rest. */
export class DbCounter {
  readonly total = emptyFootprint();
  /** second → key → writes in that second. */
  readonly perSecond = new Map<number, Map<string, number>>();
  readonly failedConditions = { count: 0 };
  /** Commands actually sent to the table (replayed footprints not included). */
  sent = 0;
  private readonly shadow = new Map<string, IndexKeys>();
  /** The footprint of the call in whose async context a command is sent (builder-api.ts). */
  private readonly calls = new AsyncLocalStorage<Footprint>();
  /** Which part of the world sent a command (submit, dispatcher, reaper, builder API, setup). */
  private readonly parts = new AsyncLocalStorage<string>();
  /** Commands sent per part and command name (`<part> <Command>`): where the table work goes. */
  readonly sentBy = new Map<string, number>();

  constructor(private readonly second: () => number) {}

  /** Runs `fn`, adding what it sends to the table to `f` as well. */
  measure<T>(f: Footprint, fn: () => Promise<T>): Promise<T> {
    return this.calls.run(f, fn);
  }

  /** Runs `fn` with its table commands counted under `part`. */
  as<T>(part: string, fn: () => Promise<T>): Promise<T> {
    return this.parts.run(part, fn);
  }

  /** Adds a footprint measured earlier (a call repeated without sending it; see builder-api.ts). */
  replay(f: Footprint): void {
    addFootprint(this.total, f);
    const bucket = this.bucket();
    for (const [k, n] of f.perKey) bucket.set(k, (bucket.get(k) ?? 0) + n);
  }

  private bucket(): Map<string, number> {
    const s = this.second();
    let b = this.perSecond.get(s);
    if (!b) {
      b = new Map();
      this.perSecond.set(s, b);
    }
    return b;
  }

  private write(key: string, into: Footprint | null): void {
    const bucket = this.bucket();
    bucket.set(key, (bucket.get(key) ?? 0) + 1);
    this.total.perKey.set(key, (this.total.perKey.get(key) ?? 0) + 1);
    if (into) into.perKey.set(key, (into.perKey.get(key) ?? 0) + 1);
  }

  private add(kind: 'reads' | 'writes' | 'rru' | 'wru', n: number, into: Footprint | null): void {
    this.total[kind] += n;
    if (into) into[kind] += n;
  }

  /**
   * Wraps the client's `send`; returns the same client. `transport` replaces how a
   * command reaches the table (lean-dynamo.ts), given the SDK's own send.
   */
  wrap(db: DynamoDBDocumentClient, transport?: (sdk: (cmd: Command) => Promise<Attrs>) => (cmd: Command) => Promise<Attrs>): DynamoDBDocumentClient {
    const sdk = db.send.bind(db) as (cmd: Command) => Promise<Attrs>;
    const original = transport ? transport(sdk) : sdk;
    const counted = async (cmd: Command): Promise<Attrs> => {
      cmd.input.ReturnConsumedCapacity = 'INDEXES';
      this.sent++;
      const into = this.calls.getStore() ?? null;
      const name = cmd.constructor.name;
      const by = `${this.parts.getStore() ?? 'setup'} ${name}`;
      this.sentBy.set(by, (this.sentBy.get(by) ?? 0) + 1);
      let out: Attrs;
      try {
        out = await original(cmd);
      } catch (err) {
        const n = (err as Error).name;
        if (n === 'ConditionalCheckFailedException' || n === 'TransactionCanceledException') {
          this.failedConditions.count++;
          // A refused conditional write still costs a write unit on AWS.
          if (name === 'UpdateCommand' || name === 'PutCommand' || name === 'DeleteCommand') {
            this.add('wru', 1, into);
            this.add('writes', 1, into);
          }
        }
        throw err;
      }
      this.account(name, cmd.input, out, into);
      return out;
    };
    // The override keeps the client's type: callers only ever await `send(command)`.
    Object.assign(db, { send: counted });
    return db;
  }

  private capacity(out: Attrs, into: Footprint | null, kind: 'rru' | 'wru'): Set<string> {
    const raw = out.ConsumedCapacity;
    const entries = (Array.isArray(raw) ? raw : raw ? [raw] : []) as CapacityEntry[];
    const gsis = new Set<string>();
    for (const e of entries) {
      this.add(kind, e.CapacityUnits ?? 0, into);
      for (const [g, c] of Object.entries(e.GlobalSecondaryIndexes ?? {})) if ((c.CapacityUnits ?? 0) > 0) gsis.add(g);
    }
    return gsis;
  }

  private account(name: string, input: Attrs, out: Attrs, into: Footprint | null): void {
    switch (name) {
      case 'GetCommand':
      case 'QueryCommand':
      case 'ScanCommand':
      case 'BatchGetCommand':
      case 'TransactGetCommand':
        this.add('reads', 1, into);
        this.capacity(out, into, 'rru');
        return;
      case 'PutCommand':
        this.capacity(out, into, 'wru');
        this.putItem(input.Item as Attrs, into);
        return;
      case 'UpdateCommand':
        this.capacity(out, into, 'wru');
        this.updateItem(input, into);
        return;
      case 'DeleteCommand':
        this.capacity(out, into, 'wru');
        this.deleteItem(input.Key as Attrs, into);
        return;
      case 'BatchWriteCommand': {
        this.capacity(out, into, 'wru');
        const req = input.RequestItems as Record<string, Array<{ PutRequest?: { Item: Attrs }; DeleteRequest?: { Key: Attrs } }>>;
        for (const list of Object.values(req)) {
          for (const r of list) {
            if (r.PutRequest) this.putItem(r.PutRequest.Item, into);
            else if (r.DeleteRequest) this.deleteItem(r.DeleteRequest.Key, into);
          }
        }
        return;
      }
      case 'TransactWriteCommand': {
        this.capacity(out, into, 'wru');
        const items = input.TransactItems as Array<{ Put?: { Item: Attrs }; Update?: Attrs; Delete?: { Key: Attrs }; ConditionCheck?: unknown }>;
        for (const t of items) {
          if (t.Put) this.putItem(t.Put.Item, into);
          else if (t.Update) this.updateItem(t.Update, into);
          else if (t.Delete) this.deleteItem(t.Delete.Key, into);
          else this.add('reads', 1, into);
        }
        return;
      }
      default:
        return; // table admin and the like
    }
  }

  private itemId(key: Attrs): string {
    return `${String(key.pk)}\u0000${String(key.sk)}`;
  }

  /** Index entries before and after: a changed key is a delete in the old partition and a put in the new one. */
  private indexWrites(before: IndexKeys | undefined, after: IndexKeys, into: Footprint | null): void {
    for (const g of GSI_NAMES) {
      const oldPk = before?.[`${g}pk`];
      const newPk = after[`${g}pk`];
      const sameKey = oldPk === newPk && before?.[`${g}sk`] === after[`${g}sk`];
      if (oldPk !== undefined && !sameKey) this.write(`${g}:${oldPk}`, into);
      if (newPk !== undefined) this.write(`${g}:${newPk}`, into);
    }
  }

  private indexKeysOf(item: Attrs): IndexKeys {
    const keys: IndexKeys = {};
    for (const g of GSI_NAMES) {
      for (const part of ['pk', 'sk']) {
        const v = item[`${g}${part}`];
        if (typeof v === 'string' || typeof v === 'number') keys[`${g}${part}`] = String(v);
      }
    }
    return keys;
  }

  private putItem(item: Attrs, into: Footprint | null): void {
    const id = this.itemId(item);
    this.add('writes', 1, into);
    this.write(`base:${String(item.pk)}`, into);
    const after = this.indexKeysOf(item);
    this.indexWrites(this.shadow.get(id), after, into);
    this.shadow.set(id, after);
  }

  private deleteItem(key: Attrs, into: Footprint | null): void {
    const id = this.itemId(key);
    this.add('writes', 1, into);
    this.write(`base:${String(key.pk)}`, into);
    const before = this.shadow.get(id);
    if (before) for (const g of GSI_NAMES) if (before[`${g}pk`] !== undefined) this.write(`${g}:${before[`${g}pk`]}`, into);
    this.shadow.delete(id);
  }

  private updateItem(input: Attrs, into: Footprint | null): void {
    const key = input.Key as Attrs;
    const id = this.itemId(key);
    this.add('writes', 1, into);
    this.write(`base:${String(key.pk)}`, into);
    const before = this.shadow.get(id);
    const after: IndexKeys = { ...(before ?? {}) };
    const changes = parseUpdate(String(input.UpdateExpression ?? ''), (input.ExpressionAttributeNames ?? {}) as Record<string, string>);
    const values = (input.ExpressionAttributeValues ?? {}) as Attrs;
    for (const [attr, value] of changes.set) {
      if (!/^gsi\d(pk|sk)$/.test(attr)) continue;
      const v = value.startsWith(':') ? values[value] : undefined;
      after[attr] = typeof v === 'string' || typeof v === 'number' ? String(v) : `?${value}`;
    }
    for (const attr of changes.remove) delete after[attr];
    this.indexWrites(before, after, into);
    this.shadow.set(id, after);
  }
}

/** The attributes an update expression sets (with their value token) and removes. */
export function parseUpdate(expr: string, names: Record<string, string>): { set: Array<[string, string]>; remove: string[] } {
  const resolve = (n: string) => names[n.trim()] ?? n.trim();
  const set: Array<[string, string]> = [];
  const remove: string[] = [];
  // Clauses start with a keyword at paren depth 0.
  const clauses: Array<{ kw: string; body: string }> = [];
  let depth = 0;
  let start = 0;
  let kw = '';
  const re = /\b(SET|REMOVE|ADD|DELETE)\b|[()]/gi;
  for (let m = re.exec(expr); m; m = re.exec(expr)) {
    if (m[0] === '(') depth++;
    else if (m[0] === ')') depth--;
    else if (depth === 0) {
      if (kw) clauses.push({ kw, body: expr.slice(start, m.index) });
      kw = m[0].toUpperCase();
      start = m.index + m[0].length;
    }
  }
  if (kw) clauses.push({ kw, body: expr.slice(start) });
  for (const c of clauses) {
    for (const part of splitTop(c.body)) {
      if (c.kw === 'SET') {
        const eq = part.indexOf('=');
        if (eq > 0) set.push([resolve(part.slice(0, eq)), part.slice(eq + 1).trim()]);
      } else if (c.kw === 'REMOVE') {
        remove.push(resolve(part));
      }
    }
  }
  return { set, remove };
}

function splitTop(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}
