import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Route } from '../../functions/api/router.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import type { TestService } from '../support/service.js';

/** An API Gateway v2 event, as the Lambda handler and the local server build them. */
export function apiEvent(
  method: string,
  path: string,
  opts: { query?: string; headers?: Record<string, string>; body?: Buffer } = {},
): APIGatewayProxyEventV2 {
  const body = opts.body ?? Buffer.alloc(0);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: opts.query ?? '',
    headers: { ...(opts.headers ?? {}), ...(body.length > 0 ? { 'content-length': String(body.length) } : {}) },
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'test',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'attack-battery' },
      requestId: 'attack',
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    body: body.length > 0 ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
  };
}

/** Every route that changes something, straight from the router's table: new routes are covered without edits. */
export function mutatingRoutes(t: TestService): Route[] {
  return t.service.router.routes.filter((r) => r.method !== 'GET');
}

/** A route's path with its `{param}`s filled in (values already URL-encoded by the caller if needed). */
export function fillPath(route: Route, values: (name: string) => string): string {
  return route.path.replace(/\{([a-z_]+)\+?\}/g, (_m, name: string) => values(name));
}

/**
 * Every item of the test file's own table (private to the file, so a Scan is the
 * honest snapshot), as sorted JSON lines.
 */
export async function tableSnapshot(t: TestService): Promise<string[]> {
  const db = documentClient(t.service.config.DYNAMODB_ENDPOINT);
  const items: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: t.service.config.TABLE_NAME, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const i of page.Items ?? []) items.push(JSON.stringify(i, Object.keys(i).sort()));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort();
}

/** The battery's tally, printed and asserted at the end of each file. */
export interface Tally {
  requests: number;
  fiveXX: string[];
  crashes: number;
  stateChanges: string[];
  wrongAuthz: string[];
}

export function newTally(): Tally {
  return { requests: 0, fiveXX: [], crashes: 0, stateChanges: [], wrongAuthz: [] };
}

export function report(name: string, t: Tally): string {
  return (
    `${name}: requests=${t.requests} 5xx=${t.fiveXX.length} crashes=${t.crashes} ` +
    `state-changes-after-refusal=${t.stateChanges.length} wrong-authorization-answers=${t.wrongAuthz.length}`
  );
}
