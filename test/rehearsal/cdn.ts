import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, REGION } from './cfn.js';
import type { Deployment } from './deploy.js';
import type { Emulators } from './emulators.js';
import { plainHttp } from './lambdas.js';

/**
 * A CloudFront distribution stand-in, built from the template's DistributionConfig:
 * behaviours matched in order by path pattern (default last), viewer-request
 * CloudFront Functions run from their code, S3 origins read with origin access
 * control (the bucket policy must allow cloudfront.amazonaws.com for this
 * distribution, evaluated with iam-simulate), custom origins proxied (the HTTP API
 * by its execute-api domain), DefaultRootObject, custom error responses, CORS from
 * response headers policies, and each answer labelled with its behaviour and TTLs.
 */
type Props = Record<string, unknown>;

interface OriginAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

interface Behaviour {
  readonly pattern: string;
  readonly regex: RegExp;
  readonly originId: string;
  readonly methods: string[];
  readonly functions: string[];
  readonly ttl: { min: number; def: number; max: number } | null;
  readonly cors: { origins: string[]; methods: string[]; headers: string[] } | null;
}

/** Managed cache policies CloudFront documents (id → TTLs). */
const MANAGED_CACHE: Record<string, { min: number; def: number; max: number }> = {
  '4135ea2d-6df8-44a3-9df3-4b5a84be39ad': { min: 0, def: 0, max: 0 }, // CachingDisabled
  '658327ea-f89d-4fab-a63d-7e88639e58f6': { min: 1, def: 86400, max: 31536000 }, // CachingOptimized
  'b2884449-e4de-46a7-ac36-70bc7f1ddd6d': { min: 1, def: 86400, max: 31536000 }, // CachingOptimizedForUncompressedObjects
};
/** Managed response headers policies with CORS. */
const MANAGED_CORS: Record<string, { origins: string[]; methods: string[]; headers: string[] }> = {
  '60669652-455b-4ae9-85a4-c4c02393f86c': { origins: ['*'], methods: ['GET', 'HEAD'], headers: ['*'] }, // SimpleCORS
  '5cc3b908-e619-4b99-88e5-2cf7f45965bd': { origins: ['*'], methods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'], headers: ['*'] }, // CORS-With-Preflight
  'e61eb60c-9c35-4d20-a928-2b84e02af89c': { origins: ['*'], methods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'], headers: ['*'] }, // CORS-and-SecurityHeaders
  'eaab4381-ed33-4a86-88ca-d9558dc6cd63': { origins: ['*'], methods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'], headers: ['*'] }, // CORS-with-preflight-and-SecurityHeaders
};

/** CloudFront path patterns: `*` any run of characters, `?` one; a missing leading slash is implied. */
function patternRegex(pattern: string): RegExp {
  const p = pattern.startsWith('/') || pattern.startsWith('*') ? pattern : `/${pattern}`;
  return new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

export class CdnStandIn {
  private server: Server | null = null;
  private behaviours: Behaviour[] = [];
  private origins = new Map<string, { bucket?: string; oac: boolean; custom?: string }>();
  private groups = new Map<string, { members: string[]; failover: number[] }>();
  private functionCode = new Map<string, string>();
  private rootObject = '';
  private errors: Array<{ code: number; page?: string; responseCode?: number }> = [];
  private bucketPolicies = new Map<string, unknown>();
  private s3: S3Client | null = null;
  host = '';
  readonly log: string[] = [];

  constructor(
    readonly logicalId: string,
    private readonly deployment: () => Deployment,
    private readonly emu: () => Emulators,
    private readonly customOrigins: (domain: string) => string | undefined,
  ) {}

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.push(`stand-in error: ${(err as Error).stack}`);
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('502 Bad Gateway (CloudFront stand-in)');
      });
    });
    await new Promise<void>((ok) => this.server?.listen(0, '127.0.0.1', ok));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.host;
  }

  get url(): string {
    return `http://${this.host}`;
  }

  configure(): void {
    const d = this.deployment();
    const r = d.resolver;
    const res = d.template.Resources[this.logicalId];
    const cfg = r.resolve((res?.Properties as Props).DistributionConfig) as Props;
    this.s3 = new S3Client({ endpoint: this.emu().fauxqs, region: REGION, forcePathStyle: true, credentials: { accessKeyId: 'CloudFront', secretAccessKey: 'x' } });
    for (const [id, x] of Object.entries(d.template.Resources)) {
      if (x.Type === 'AWS::CloudFront::Function') this.functionCode.set(r.getAtt(id, 'FunctionARN'), String(x.Properties?.FunctionCode ?? ''));
      if (x.Type === 'AWS::S3::BucketPolicy') this.bucketPolicies.set(r.resolveString(x.Properties?.Bucket), r.resolve(x.Properties?.PolicyDocument));
    }
    const buckets = new Map<string, string>();
    for (const [id, x] of Object.entries(d.template.Resources)) {
      if (x.Type === 'AWS::S3::Bucket') {
        const p = r.physical.get(id);
        if (p) for (const attr of ['DomainName', 'RegionalDomainName']) buckets.set(p.attrs[attr] ?? '', p.ref);
      }
    }
    for (const o of (cfg.Origins ?? []) as Props[]) {
      const domain = String(o.DomainName);
      const bucket = o.S3OriginConfig ? buckets.get(domain) : undefined;
      this.origins.set(String(o.Id), { ...(bucket ? { bucket } : {}), oac: Boolean(o.OriginAccessControlId), ...(o.CustomOriginConfig ? { custom: this.customOrigins(domain) ?? `unresolved:${domain}` } : {}) });
    }
    for (const g of (((cfg.OriginGroups as Props | undefined)?.Items ?? []) as Props[])) {
      const members = (((g.Members as Props | undefined)?.Items ?? []) as Props[]).map((m) => String(m.OriginId));
      const failover = ((((g.FailoverCriteria as Props | undefined)?.StatusCodes as Props | undefined)?.Items ?? []) as unknown[]).map(Number);
      this.groups.set(String(g.Id), { members, failover });
    }
    const ttlOf = (policyId: unknown): Behaviour['ttl'] => {
      const id = String(policyId ?? '');
      const own = Object.entries(d.template.Resources).find(([lid, x]) => x.Type === 'AWS::CloudFront::CachePolicy' && r.physical.get(lid)?.ref === id);
      if (own) {
        const c = r.resolve((own[1].Properties as Props).CachePolicyConfig) as Props;
        return { min: Number(c.MinTTL ?? 0), def: Number(c.DefaultTTL ?? 0), max: Number(c.MaxTTL ?? 0) };
      }
      return MANAGED_CACHE[id] ?? null;
    };
    const corsOf = (policyId: unknown): Behaviour['cors'] => {
      if (!policyId) return null;
      const id = String(policyId);
      const own = Object.entries(d.template.Resources).find(([lid, x]) => x.Type === 'AWS::CloudFront::ResponseHeadersPolicy' && r.physical.get(lid)?.ref === id);
      if (own) {
        const c = ((r.resolve((own[1].Properties as Props).ResponseHeadersPolicyConfig) as Props).CorsConfig ?? null) as Props | null;
        if (!c) return null;
        const items = (k: string) => (((c[k] as Props | undefined)?.Items as string[] | undefined) ?? []);
        // The stand-ins serve http://, so an https:// origin of a stand-in is its http:// one.
        return { origins: items('AccessControlAllowOrigins').map(plainHttp), methods: items('AccessControlAllowMethods'), headers: items('AccessControlAllowHeaders') };
      }
      return MANAGED_CORS[id] ?? null;
    };
    const behaviour = (b: Props, pattern: string): Behaviour => ({
      pattern,
      regex: patternRegex(pattern),
      originId: String(b.TargetOriginId),
      methods: (b.AllowedMethods as string[] | undefined) ?? ['GET', 'HEAD'],
      functions: ((b.FunctionAssociations ?? []) as Props[]).filter((f) => f.EventType === 'viewer-request').map((f) => String(f.FunctionARN)),
      ttl: ttlOf(b.CachePolicyId),
      cors: corsOf(b.ResponseHeadersPolicyId),
    });
    this.behaviours = [
      ...((cfg.CacheBehaviors ?? []) as Props[]).map((b) => behaviour(b, String(b.PathPattern))),
      behaviour(cfg.DefaultCacheBehavior as Props, '*'),
    ];
    this.rootObject = String(cfg.DefaultRootObject ?? '');
    this.errors = ((cfg.CustomErrorResponses ?? []) as Props[]).map((e) => ({
      code: Number(e.ErrorCode),
      ...(e.ResponsePagePath ? { page: String(e.ResponsePagePath) } : {}),
      ...(e.ResponseCode ? { responseCode: Number(e.ResponseCode) } : {}),
    }));
  }

  /** The behaviour a path falls under (for checks of TTLs and CORS). */
  behaviourFor(path: string): Behaviour {
    const b = this.behaviours.find((x) => x.regex.test(path));
    if (!b) throw new Error('no default behaviour');
    return b;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    const method = req.method ?? 'GET';
    const b = this.behaviourFor(url.pathname);
    const labels: Record<string, string> = {
      'x-rehearsal-behaviour': b.pattern,
      ...(b.ttl ? { 'x-rehearsal-ttl': `min=${b.ttl.min} default=${b.ttl.def} max=${b.ttl.max}` } : {}),
    };
    const cors = corsHeaders(b, req);
    if (!b.methods.includes(method)) {
      req.resume();
      return send(res, 403, { ...labels, 'content-type': 'text/plain' }, '403 method not allowed by this behaviour');
    }
    let uri = url.pathname === '/' && this.rootObject ? `/${this.rootObject}` : url.pathname;
    for (const arn of b.functions) {
      const code = this.functionCode.get(arn);
      if (code === undefined) throw new Error(`behaviour ${b.pattern}: function ${arn} is not in the template`);
      const headers: Record<string, { value: string }> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = { value: Array.isArray(v) ? v.join(',') : v };
      const querystring: Record<string, { value: string }> = {};
      for (const [k, v] of url.searchParams) querystring[k] = { value: v };
      const event = { version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip: '127.0.0.1' }, request: { method, uri, querystring, headers, cookies: {} } };
      const out = runInNewContext(`${code}\nhandler(event);`, { event }, { timeout: 1000 }) as {
        uri?: string;
        statusCode?: number;
        headers?: Record<string, { value: string }>;
        body?: string | { data: string; encoding?: string };
      };
      if (out.statusCode !== undefined) {
        // The function answered the viewer itself (CloudFront Functions response object).
        req.resume();
        const h: Record<string, string> = { ...labels };
        for (const [k, v] of Object.entries(out.headers ?? {})) h[k] = v.value;
        const body = typeof out.body === 'string' ? out.body : out.body ? (out.body.encoding === 'base64' ? Buffer.from(out.body.data, 'base64') : out.body.data) : '';
        return send(res, out.statusCode, h, body);
      }
      uri = out.uri ?? uri;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    // An origin group: the next member answers when the one before gave a failover status (GET/HEAD only).
    const group = this.groups.get(b.originId);
    const members = group?.members ?? [b.originId];
    let answer: OriginAnswer | null = null;
    for (const [i, originId] of members.entries()) {
      answer = await this.fromOrigin(originId, b, req, method, uri, url.search, body);
      const last = i === members.length - 1;
      if (last || !group?.failover.includes(answer.status) || !['GET', 'HEAD'].includes(method)) break;
    }
    if (!answer) throw new Error(`behaviour ${b.pattern}: origin group ${b.originId} has no members`);
    const out: Record<string, string> = { ...labels, ...cors, ...answer.headers };
    if (answer.status < 400) Object.assign(out, edgeTtlHeader(b, answer.headers['cache-control'] ?? null));
    return this.sendOrError(res, answer.status, out, answer.body, method);
  }

  /** One origin's answer to the request (S3 with origin access control, or a custom origin). */
  private async fromOrigin(originId: string, b: Behaviour, req: IncomingMessage, method: string, uri: string, search: string, body: Buffer): Promise<OriginAnswer> {
    const origin = this.origins.get(originId);
    if (!origin) throw new Error(`behaviour ${b.pattern}: no origin ${originId}`);
    if (origin.custom !== undefined) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'host' && k !== 'connection' && k !== 'content-length') headers[k] = Array.isArray(v) ? v.join(', ') : v;
      // The viewer's host goes on as X-Forwarded-Host (AllViewerExceptHostHeader forwards everything else).
      headers['x-forwarded-host'] = this.host;
      const up = await fetch(`${origin.custom}${uri}${search}`, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(body), redirect: 'manual' });
      const out: Record<string, string> = {};
      up.headers.forEach((v, k) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(k)) out[k] = v;
      });
      return { status: up.status, headers: out, body: Buffer.from(await up.arrayBuffer()) };
    }
    const bucket = origin.bucket;
    if (!bucket) throw new Error(`origin ${originId} names no bucket of the template`);
    const key = decodeURIComponent(uri.replace(/^\//, ''));
    const denied: OriginAnswer = { status: 403, headers: { 'content-type': 'application/xml' }, body: Buffer.from('<Error><Code>AccessDenied</Code></Error>') };
    if (origin.oac && !(await this.originAccessAllowed(bucket, key))) return denied;
    try {
      const got = await this.s3?.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const data = Buffer.from((await got?.Body?.transformToByteArray()) ?? new Uint8Array());
      const headers: Record<string, string> = { 'content-type': got?.ContentType ?? 'application/octet-stream' };
      if (got?.CacheControl) headers['cache-control'] = got.CacheControl;
      if (got?.ContentEncoding) headers['content-encoding'] = got.ContentEncoding;
      if (got?.ETag) headers.etag = got.ETag;
      return { status: 200, headers, body: data };
    } catch (err) {
      // With origin access control and no s3:ListBucket, S3 answers a missing key with 403.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return denied;
      return { ...denied, status: 502 };
    }
  }

  private async sendOrError(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer, method: string): Promise<void> {
    const custom = this.errors.find((e) => e.code === status);
    if (custom?.page) {
      const bucketOrigin = [...this.origins.values()].find((o) => o.bucket);
      try {
        const got = await this.s3?.send(new GetObjectCommand({ Bucket: bucketOrigin?.bucket, Key: custom.page.replace(/^\//, '') }));
        const page = Buffer.from((await got?.Body?.transformToByteArray()) ?? new Uint8Array());
        return send(res, custom.responseCode ?? status, { ...headers, 'content-type': got?.ContentType ?? 'text/html' }, page);
      } catch {
        // fall through to the origin's answer
      }
    }
    return send(res, status, headers, method === 'HEAD' ? Buffer.alloc(0) : body, body.length);
  }

  /** Origin access control: CloudFront signs as its service principal; the bucket policy decides. */
  private async originAccessAllowed(bucket: string, key: string): Promise<boolean> {
    const policy = this.bucketPolicies.get(bucket);
    if (!policy) {
      this.log.push(`origin access: bucket ${bucket} has no policy allowing CloudFront`);
      return false;
    }
    const d = this.deployment();
    const distributionId = d.resolver.ref(this.logicalId);
    const result = await runSimulation(
      {
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: policy as never,
        request: {
          action: 's3:GetObject',
          principal: 'cloudfront.amazonaws.com',
          resource: { resource: `arn:aws:s3:::${bucket}/${key}`, accountId: ACCOUNT },
          contextVariables: { 'aws:SourceArn': `arn:aws:cloudfront::${ACCOUNT}:distribution/${distributionId}`, 'aws:SecureTransport': 'true', 'aws:SourceAccount': ACCOUNT },
        },
      },
      {},
    );
    const allowed = result.resultType !== 'error' && result.overallResult === 'Allowed';
    if (!allowed) this.log.push(`origin access denied for s3://${bucket}/${key}: ${result.resultType === 'error' ? JSON.stringify(result.errors).slice(0, 300) : result.overallResult}`);
    return allowed;
  }

  async stop(): Promise<void> {
    this.s3?.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }
}

/**
 * How long an edge would keep this answer, as CloudFront derives it from the cache
 * policy and the origin's Cache-Control: s-maxage or max-age clamped to [min, max];
 * no-store/no-cache/private with a zero MinTTL not cached; no directive → DefaultTTL.
 * (The stand-in does not cache; the figure is what the template and the objects'
 * metadata would make CloudFront do, for the rehearsal's TTL checks.)
 */
export function edgeTtl(ttl: Behaviour['ttl'], cacheControl: string | null): number | null {
  if (!ttl) return null;
  const cc = (cacheControl ?? '').toLowerCase();
  if (/\b(no-store|no-cache|private)\b/.test(cc)) return ttl.min;
  const age = /\bs-maxage=(\d+)/.exec(cc)?.[1] ?? /\bmax-age=(\d+)/.exec(cc)?.[1];
  if (age !== undefined) return Math.min(ttl.max, Math.max(ttl.min, Number(age)));
  return ttl.def;
}

function edgeTtlHeader(b: Behaviour, cacheControl: string | null): Record<string, string> {
  const t = edgeTtl(b.ttl, cacheControl);
  return t === null ? {} : { 'x-rehearsal-edge-ttl': String(t) };
}

function corsHeaders(b: Behaviour, req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!b.cors || typeof origin !== 'string') return {};
  const allowed = b.cors.origins.includes('*') || b.cors.origins.includes(origin);
  if (!allowed) return {};
  return {
    'access-control-allow-origin': b.cors.origins.includes('*') ? '*' : origin,
    'access-control-allow-methods': b.cors.methods.join(','),
    'access-control-allow-headers': b.cors.headers.join(','),
  };
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string, length?: number): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'content-length': String(length ?? buf.length) });
  res.end(buf.length > 0 ? buf : undefined);
}
