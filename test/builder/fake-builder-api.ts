// A stand-in for the server side of the builder protocol, for the agent tests only: serves
// one task, SRPM files, upload URLs that point back at itself, and records every call.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeApi {
  url: string;
  calls: string[];
  /** Uploaded files by relative path (latest content wins). */
  uploads: Map<string, Buffer>;
  /** Relative paths in PUT order (repeats included). */
  putOrder: string[];
  /** The live log as the chunks built it (PUT /backend/builder/live-log/{offset}). */
  liveLog: Buffer;
  /** Bytes received in live-log chunks, resends included. */
  liveLogBytesReceived: number;
  finishedBody: unknown;
  setTask(task: unknown): void;
  setCancel(cancel: boolean): void;
  /** Answer the next n task fetches with 503. */
  failTaskFetches(n: number): void;
  /**
   * Answer the next calls of `route` ("POST /backend/builder/started", "PUT /put") with these
   * statuses, one per call, before serving it normally. 429s carry Retry-After: 0.
   */
  failNext(route: string, statuses: number[]): void;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFakeApi(token: string, srpmDir: string): Promise<FakeApi> {
  let task: unknown = null;
  let cancel = false;
  let failing = 0;
  const flaky = new Map<string, number[]>();
  /** Serves the next planned failure for `route`, if any; true when it answered. */
  const planned = (route: string, res: ServerResponse): boolean => {
    const status = flaky.get(route)?.shift();
    if (status === undefined) return false;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (status === 429) headers['retry-after'] = '0';
    res.writeHead(status, headers).end(JSON.stringify({ msg: `planned ${status}` }));
    return true;
  };
  const api: Omit<FakeApi, 'url' | 'close'> & { url: string } = {
    url: '',
    calls: [],
    uploads: new Map(),
    putOrder: [],
    liveLog: Buffer.alloc(0),
    liveLogBytesReceived: 0,
    finishedBody: undefined,
    setTask: (t) => (task = t),
    setCancel: (c) => (cancel = c),
    failTaskFetches: (n) => (failing = n),
    failNext: (route, statuses) => flaky.set(route, [...statuses]),
  };
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const data = await body(req);
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      };
      if (path.startsWith('/srpms/')) {
        res.writeHead(200).end(readFileSync(join(srpmDir, path.slice('/srpms/'.length))));
        return;
      }
      if (path.startsWith('/put/') && req.method === 'PUT') {
        // Upload URLs are pre-authorized (like presigned S3 URLs): no bearer token here.
        const rel = decodeURIComponent(path.slice('/put/'.length));
        api.calls.push(`PUT ${rel}`);
        if (planned('PUT /put', res)) return;
        if (req.headers['x-upload-check'] !== 'yes') return json(403, { msg: 'missing signed header' });
        api.uploads.set(rel, data);
        api.putOrder.push(rel);
        res.writeHead(200).end();
        return;
      }
      api.calls.push(`${req.method} ${path}`);
      if (req.headers.authorization !== `Bearer ${token}`) return json(401, { msg: 'bad credential' });
      if (planned(`${req.method} ${path}`, res)) return;
      const chunk = /^\/backend\/builder\/live-log\/(\d+)$/.exec(path);
      if (req.method === 'PUT' && chunk) {
        if (planned('PUT /backend/builder/live-log', res)) return;
        const offset = Number(chunk[1]);
        if (offset > api.liveLog.length) return json(409, { msg: 'gap' });
        api.liveLogBytesReceived += data.length;
        api.liveLog = Buffer.concat([api.liveLog.subarray(0, offset), data]);
        return json(200, {});
      }
      switch (`${req.method} ${path}`) {
        case 'GET /backend/builder/task':
          if (failing > 0) {
            failing--;
            return json(503, { msg: 'try later' });
          }
          return json(200, task);
        case 'POST /backend/builder/started':
          return json(200, {});
        case 'POST /backend/builder/heartbeat':
          return json(200, { cancel });
        case 'POST /backend/builder/upload-url': {
          const { path: rel } = JSON.parse(data.toString()) as { path: string };
          return json(200, { url: `${api.url}/put/${encodeURIComponent(rel)}`, method: 'PUT', headers: { 'x-upload-check': 'yes' } });
        }
        case 'POST /backend/builder/finished':
          api.finishedBody = JSON.parse(data.toString());
          return json(200, {});
        default:
          return json(404, { msg: 'no such route' });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(api, {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
