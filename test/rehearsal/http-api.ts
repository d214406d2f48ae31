import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCOUNT } from './cfn.js';
import type { Deployment } from './deploy.js';
import { PayloadTooLarge, type LambdaService } from './lambdas.js';

/**
 * The API Gateway HTTP API stand-in, built from the template's routes and
 * integrations: it matches `METHOD /path/{proxy+}` route keys (most specific first),
 * builds the payload format 2.0 event, refuses bodies above API Gateway's 10 MB with
 * its own 413 answer, and turns Lambda's 6 MB invoke limit and function errors into
 * the answers API Gateway gives for them.
 */
export const API_GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024;

interface Route {
  readonly method: string;
  readonly path: string;
  readonly functionLogicalId: string;
  readonly routeKey: string;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

export class HttpApiStandIn {
  private server: Server | null = null;
  private readonly routes: Route[] = [];
  url = '';
  readonly log: string[] = [];

  constructor(
    private readonly deployment: () => Deployment,
    private readonly lambdas: () => LambdaService,
  ) {}

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal Server Error' }));
        this.log.push(`stand-in error: ${(err as Error).stack}`);
      });
    });
    await new Promise<void>((ok) => this.server?.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Reads the routes once the template is "deployed". */
  configure(): void {
    const d = this.deployment();
    const r = d.resolver;
    const integrations = new Map<string, string>();
    for (const [id, res] of Object.entries(d.template.Resources)) {
      if (res.Type !== 'AWS::ApiGatewayV2::Integration') continue;
      const uri = r.resolveString(res.Properties?.IntegrationUri);
      const fn = this.lambdas().byArn(uri);
      if (fn) integrations.set(r.ref(id), fn.logicalId);
    }
    for (const res of Object.values(d.template.Resources)) {
      if (res.Type !== 'AWS::ApiGatewayV2::Route') continue;
      const routeKey = r.resolveString(res.Properties?.RouteKey);
      const target = r.resolveString(res.Properties?.Target).replace(/^integrations\//, '');
      const fn = integrations.get(target);
      if (!fn) throw new Error(`route ${routeKey} targets no Lambda integration`);
      const [method, path] = routeKey === '$default' ? ['ANY', '$default'] : (routeKey.split(' ') as [string, string]);
      this.routes.push({ method, path, functionLogicalId: fn, routeKey });
    }
  }

  /** A Lambda function URL: every request goes to one function. */
  configureFunctionUrl(functionLogicalId: string): void {
    this.routes.push({ method: 'ANY', path: '$default', functionLogicalId, routeKey: '$default' });
  }

  routeKeys(): string[] {
    return this.routes.map((r) => r.routeKey);
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | null {
    const candidates: Array<{ route: Route; params: Record<string, string>; score: number }> = [];
    for (const route of this.routes) {
      if (route.method !== 'ANY' && route.method !== method) continue;
      if (route.path === '$default') {
        candidates.push({ route, params: {}, score: -1 });
        continue;
      }
      const segs = route.path.split('/').filter(Boolean);
      const parts = path.split('/').filter(Boolean);
      const params: Record<string, string> = {};
      let ok = true;
      let score = 0;
      for (let i = 0; i < segs.length; i++) {
        const s = segs[i] ?? '';
        const greedy = /^\{(.+)\+\}$/.exec(s);
        if (greedy) {
          const rest = parts.slice(i);
          if (rest.length === 0) ok = false;
          else params[greedy[1] ?? 'proxy'] = rest.map(decodeURIComponent).join('/');
          score += 1;
          break;
        }
        const p = parts[i];
        if (p === undefined) {
          ok = false;
          break;
        }
        const param = /^\{(.+)\}$/.exec(s);
        if (param) params[param[1] ?? ''] = decodeURIComponent(p);
        else if (s !== p) ok = false;
        score += param ? 10 : 100;
        if (i === segs.length - 1 && parts.length !== segs.length) ok = false;
      }
      if (ok) candidates.push({ route, params, score: score + (route.method === 'ANY' ? 0 : 1) });
    }
    candidates.sort((a, b) => b.score - a.score);
    return candidates[0] ?? null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > API_GATEWAY_PAYLOAD_LIMIT) {
      req.resume();
      return this.reply(res, 413, { message: 'Request Entity Too Large' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > API_GATEWAY_PAYLOAD_LIMIT) return this.reply(res, 413, { message: 'Request Entity Too Large' });
      chunks.push(c as Buffer);
    }
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://api');
    const method = req.method ?? 'GET';
    const m = this.match(method, url.pathname);
    if (!m) return this.reply(res, 404, { message: 'Not Found' });
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      if (k === 'cookie') cookies.push(...String(v).split(/;\s*/));
      else headers[k] = Array.isArray(v) ? v.join(',') : v;
    }
    const contentType = headers['content-type'] ?? '';
    const isBase64Encoded = body.length > 0 && !TEXT_TYPES.test(contentType);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const d = this.deployment();
    const apiId = Object.entries(d.template.Resources).find(([, x]) => x.Type === 'AWS::ApiGatewayV2::Api')?.[0];
    const event = {
      version: '2.0',
      routeKey: m.route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      ...(cookies.length ? { cookies } : {}),
      headers,
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      ...(Object.keys(m.params).length ? { pathParameters: m.params } : {}),
      requestContext: {
        accountId: ACCOUNT,
        apiId: apiId ? d.resolver.ref(apiId) : 'api',
        domainName: headers.host ?? '',
        domainPrefix: (headers.host ?? '').split('.')[0],
        http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
        requestId: randomUUID(),
        routeKey: m.route.routeKey,
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
      ...(body.length ? { body: isBase64Encoded ? body.toString('base64') : body.toString('utf8') } : {}),
      isBase64Encoded,
    };
    let result: unknown;
    try {
      result = await this.lambdas().invoke(m.route.functionLogicalId, event);
    } catch (err) {
      if (err instanceof PayloadTooLarge) {
        this.log.push(`${method} ${url.pathname}: ${err.message}`);
        return this.reply(res, 413, { message: 'Request Entity Too Large' });
      }
      this.log.push(`${method} ${url.pathname}: ${(err as Error).message}`);
      return this.reply(res, 500, { message: 'Internal Server Error' });
    }
    if (Buffer.byteLength(JSON.stringify(result ?? null)) > 6 * 1024 * 1024) return this.reply(res, 500, { message: 'Internal Server Error' });
    const out = result as { statusCode?: number; headers?: Record<string, string>; cookies?: string[]; body?: string; isBase64Encoded?: boolean } | null;
    if (!out || typeof out !== 'object' || out.statusCode === undefined) {
      return this.reply(res, 200, result ?? null);
    }
    const outBody = out.body === undefined ? Buffer.alloc(0) : out.isBase64Encoded ? Buffer.from(out.body, 'base64') : Buffer.from(out.body);
    const outHeaders: Record<string, string | string[]> = { ...(out.headers ?? {}) };
    if (out.cookies?.length) outHeaders['set-cookie'] = out.cookies;
    outHeaders['content-length'] = String(outBody.length);
    outHeaders['apigw-requestid'] = event.requestContext.requestId;
    res.writeHead(out.statusCode, outHeaders);
    res.end(method === 'HEAD' ? undefined : outBody);
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }
}
