import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCOUNT, REGION, type Resolver } from './cfn.js';
import type { Deployment } from './deploy.js';
import type { Emulators } from './emulators.js';
import type { Check, IamChecker, Principal } from './iam-check.js';
import { describeCall, type Call } from './requests.js';

/**
 * The AWS endpoint every rehearsed process talks to (AWS_ENDPOINT_URL): it knows the
 * caller by the access key id in the signature (one per role), derives the IAM
 * action(s) and resource(s) of the request (plus what AWS checks on the caller's
 * behalf), evaluates them against the caller's role, answers AccessDenied the way the
 * service would on a deny, and otherwise forwards to the emulator serving the service.
 */
export interface GatewayHooks {
  /** moto accepted RunInstances: "boot" the instance. */
  instanceLaunched?(launch: { instanceIds: string[]; params: URLSearchParams; principal: Principal }): void;
  /** moto accepted ECS RunTask: run the task. */
  taskStarted?(start: { input: Record<string, unknown>; output: Record<string, unknown>; principal: Principal }): void;
  /** Rewrites an ECS DescribeTasks answer (moto never stops a task by itself). */
  describeTasks?(output: Record<string, unknown>): Record<string, unknown>;
  /** Answers ECS RunTask / DescribeTasks in place of moto (the Fargate task runtime). */
  ecsTasks?(operation: string, input: Record<string, unknown>, principal: Principal): Record<string, unknown>;
}

export interface CallRecord {
  readonly principal: string;
  readonly service: string;
  readonly operation: string;
  readonly checks: number;
  readonly denied: string[];
  readonly status: number;
}

export class AwsGateway {
  private server: Server | null = null;
  readonly calls: CallRecord[] = [];
  private readonly principals = new Map<string, Principal>();
  url = '';

  constructor(
    private readonly emu: Emulators,
    private readonly deployment: () => Deployment,
    private readonly iam: IamChecker,
    private readonly hooks: GatewayHooks = {},
  ) {}

  /** Access key id for a principal (alphanumeric: DynamoDB Local insists). */
  credentialsFor(principal: Principal): { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string } {
    const key = `AKRH${principal.roleLogicalId.replace(/[^A-Za-z0-9]/g, '')}`;
    this.principals.set(key, principal);
    return { AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: 'rehearsal' };
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`rehearsal gateway: ${(err as Error).stack ?? String(err)}`);
      });
    });
    await new Promise<void>((ok) => this.server?.listen(port, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }

  /** Checks one call as `principal` (also used by stand-ins acting with a role, e.g. the SQS poller). */
  async checkAll(principal: Principal, checks: Check[]): Promise<string[]> {
    const denied: string[] = [];
    for (const c of checks) {
      const v = await this.iam.check(principal, c);
      if (v.result !== 'Allowed') denied.push(`${c.action} on ${c.resource}${c.onBehalf ? ` (${c.onBehalf})` : ''}: ${v.result}`);
    }
    return denied;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.from(Buffer.concat(chunks));
    const url = new URL(req.url ?? '/', 'http://gateway');
    const auth = String(req.headers.authorization ?? '');
    const scope = /Credential=([^/]+)\/\d+\/[^/]+\/([^/]+)\//.exec(auth) ?? /^([^/]+)\/\d+\/[^/]+\/([^/]+)\//.exec(url.searchParams.get('X-Amz-Credential') ?? '');
    const accessKey = scope?.[1] ?? '';
    const service = scope?.[2] ?? '';
    const principal = this.principals.get(accessKey);
    if (!principal) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end(`rehearsal gateway: unknown caller ${accessKey || '(unsigned)'}`);
      this.calls.push({ principal: accessKey || '(unsigned)', service, operation: '?', checks: 0, denied: ['unknown caller'], status: 403 });
      return;
    }
    const d = this.deployment();
    const call: Call = describeCall({ service, method: req.method ?? 'GET', url, headers: req.headers, body });
    const checks = await deriveChecks(call, d, this.iam, this.emu);
    const denied = await this.checkAll(principal, checks);
    if (denied.length > 0) {
      const record: CallRecord = { principal: principal.label, service, operation: call.operation, checks: checks.length, denied, status: 403 };
      this.calls.push(record);
      const first = checks.find((c) => denied[0]?.startsWith(`${c.action} on ${c.resource}`)) ?? checks[0];
      accessDenied(res, call, principal, first, this.iam.roleArn(principal.roleLogicalId));
      return;
    }
    // SQS: the functions know the gateway's queue URLs; fauxqs knows its own.
    if (service === 'sqs' && call.json) {
      const j = call.json as Record<string, unknown>;
      const q = typeof j.QueueUrl === 'string' ? d.queues.get(j.QueueUrl) : undefined;
      if (q) body = Buffer.from(JSON.stringify({ ...j, QueueUrl: q.backendUrl }));
    }
    if (service === 'ecs' && (call.operation === 'RunTask' || call.operation === 'DescribeTasks') && this.hooks.ecsTasks) {
      // moto 5.2.5 cannot run awsvpc (Fargate) tasks: the rehearsal's task runtime answers
      // RunTask and DescribeTasks itself; the cluster and task definition live in moto.
      const answer = this.hooks.ecsTasks(call.operation, call.json as Record<string, unknown>, principal);
      const status = '__type' in answer ? 400 : 200;
      const text = JSON.stringify(answer);
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
      this.calls.push({ principal: principal.label, service, operation: call.operation, checks: checks.length, denied: [], status });
      return;
    }
    const backend = service === 'dynamodb' ? this.emu.dynamodb : service === 's3' || service === 'sqs' ? this.emu.fauxqs : this.emu.moto;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || k === 'host' || k === 'content-length' || k === 'connection' || k === 'transfer-encoding' || k === 'expect') continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const up = await fetch(`${backend}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
      redirect: 'manual',
    });
    let out: Buffer = Buffer.from(await up.arrayBuffer());
    const status = up.status;
    if (status < 300) out = this.afterSuccess(call, principal, out);
    this.calls.push({ principal: principal.label, service, operation: call.operation, checks: checks.length, denied: [], status });
    const outHeaders: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'content-encoding') outHeaders[k] = v;
    });
    outHeaders['content-length'] = String(out.length);
    res.writeHead(status, outHeaders);
    res.end(req.method === 'HEAD' ? undefined : out);
  }

  private afterSuccess(call: Call, principal: Principal, out: Buffer): Buffer {
    const d = this.deployment();
    if (call.service === 'ec2' && call.operation === 'RunInstances' && call.form) {
      const instanceIds = [...out.toString().matchAll(/<instanceId>(i-[^<]+)<\/instanceId>/g)].map((m) => m[1] ?? '');
      this.hooks.instanceLaunched?.({ instanceIds: [...new Set(instanceIds)], params: call.form, principal });
    }
    if (call.service === 'ecs' && call.operation === 'RunTask' && call.json) {
      this.hooks.taskStarted?.({ input: call.json as Record<string, unknown>, output: JSON.parse(out.toString()) as Record<string, unknown>, principal });
    }
    if (call.service === 'ecs' && call.operation === 'DescribeTasks' && this.hooks.describeTasks) {
      return Buffer.from(JSON.stringify(this.hooks.describeTasks(JSON.parse(out.toString()) as Record<string, unknown>)));
    }
    if (call.service === 'sqs' && call.operation === 'GetQueueUrl') {
      const j = JSON.parse(out.toString()) as { QueueUrl?: string };
      const known = [...d.queues].find(([, q]) => q.backendUrl === j.QueueUrl);
      if (known) return Buffer.from(JSON.stringify({ QueueUrl: known[0] }));
    }
    return out;
  }
}

function accessDenied(res: ServerResponse, call: Call, principal: Principal, check: Check | undefined, roleArn: string): void {
  const message = `User: ${roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/rehearsal is not authorized to perform: ${check?.action} on resource: ${check?.resource} because no identity-based policy allows the ${check?.action} action`;
  void principal;
  if (call.json !== undefined) {
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'AccessDeniedException' });
    res.end(JSON.stringify({ __type: 'AccessDeniedException', message }));
  } else if (call.service === 'ec2') {
    res.writeHead(403, { 'content-type': 'text/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>rehearsal</RequestID></Response>`);
  } else if (call.service === 's3') {
    res.writeHead(403, { 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message><RequestId>rehearsal</RequestId></Error>`);
  } else {
    res.writeHead(403, { 'content-type': 'text/xml' });
    res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message></Error><RequestId>rehearsal</RequestId></ErrorResponse>`);
  }
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// ---- what IAM checks for each call -------------------------------------------------

const ARN = (service: string, rest: string, region = REGION) => `arn:aws:${service}:${region}:${ACCOUNT}:${rest}`;

/** The logical id of a resource by its physical id (Ref). */
function logicalOf(r: Resolver, type: string, d: Deployment, ref: string): string | undefined {
  return Object.entries(d.template.Resources).find(([id, res]) => res.Type === type && r.physical.get(id)?.ref === ref)?.[0];
}

function kmsKeyArn(d: Deployment, keyId: string | undefined): string {
  const r = d.resolver;
  const keys = [...d.kmsKeys];
  if (!keyId) {
    if (keys.length === 1 && keys[0]) return r.getAtt(keys[0][1], 'Arn');
    return ARN('kms', 'key/unknown');
  }
  if (keyId.startsWith('arn:') && keyId.includes(':key/')) return keyId;
  const aliasName = keyId.startsWith('arn:') ? keyId.slice(keyId.indexOf(':alias/') + 1) : keyId;
  if (aliasName.startsWith('alias/')) {
    const alias = Object.entries(d.template.Resources).find(([id, res]) => res.Type === 'AWS::KMS::Alias' && r.physical.get(id)?.ref === aliasName);
    const target = alias ? r.resolveString(alias[1].Properties?.TargetKeyId) : '';
    return target.startsWith('arn:') ? target : ARN('kms', `key/${target}`);
  }
  return ARN('kms', `key/${keyId}`);
}

async function deriveChecks(call: Call, d: Deployment, iam: IamChecker, emu: Emulators): Promise<Check[]> {
  const r = d.resolver;
  const j = (call.json ?? {}) as Record<string, unknown>;
  const act = (name: string) => `${call.service === 'cognito-idp' ? 'cognito-idp' : call.service}:${name}`;
  switch (call.service) {
    case 'dynamodb': {
      const table = (name: unknown) => ARN('dynamodb', `table/${String(name)}`);
      const op = call.operation;
      if (op === 'TransactWriteItems') {
        const items = (j.TransactItems ?? []) as Array<Record<string, { TableName: string }>>;
        const names: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' };
        return items.flatMap((it) => Object.entries(it).map(([k, v]) => ({ action: `dynamodb:${names[k] ?? k}`, resource: table(v.TableName) })));
      }
      if (op === 'TransactGetItems') {
        const items = (j.TransactItems ?? []) as Array<{ Get: { TableName: string } }>;
        return items.map((it) => ({ action: 'dynamodb:GetItem', resource: table(it.Get.TableName) }));
      }
      if (op === 'BatchWriteItem' || op === 'BatchGetItem') {
        return Object.keys((j.RequestItems ?? {}) as Record<string, unknown>).map((t) => ({ action: `dynamodb:${op}`, resource: table(t) }));
      }
      const base = table(j.TableName);
      return [{ action: `dynamodb:${op}`, resource: typeof j.IndexName === 'string' ? `${base}/index/${j.IndexName}` : base }];
    }
    case 'sqs': {
      const q = typeof j.QueueUrl === 'string' ? d.queues.get(j.QueueUrl) : undefined;
      const byName = typeof j.QueueName === 'string' ? [...d.queues.values()].find((x) => x.name === j.QueueName) : undefined;
      const resource = q?.arn ?? byName?.arn ?? ARN('sqs', String(j.QueueName ?? j.QueueUrl ?? 'unknown'));
      const base = call.operation.replace(/Batch$/, '');
      return [{ action: `sqs:${base}`, resource }];
    }
    case 'kms': {
      const ctx = (j.EncryptionContext ?? undefined) as Record<string, string> | undefined;
      const context: Record<string, string | string[]> = {};
      if (ctx) {
        context['kms:EncryptionContextKeys'] = Object.keys(ctx);
        for (const [k, v] of Object.entries(ctx)) context[`kms:EncryptionContext:${k}`] = v;
      }
      return [{ action: `kms:${call.operation}`, resource: kmsKeyArn(d, j.KeyId as string | undefined), context }];
    }
    case 'events': {
      const entries = (j.Entries ?? []) as Array<{ EventBusName?: string }>;
      const buses = new Set(entries.map((e) => e.EventBusName ?? 'default'));
      return [...buses].map((b) => ({ action: `events:${call.operation}`, resource: b.startsWith('arn:') ? b : ARN('events', `event-bus/${b}`) }));
    }
    case 'ssm': {
      const names = (j.Names as string[] | undefined) ?? [String(j.Name ?? '')];
      return names.map((n) => ({ action: `ssm:${call.operation}`, resource: ARN('ssm', `parameter/${n.replace(/^\//, '')}`) }));
    }
    case 'ecs':
      return ecsChecks(call, d, iam);
    case 'ec2':
      return ec2Checks(call, d, emu);
    case 's3':
      return call.s3Checks ?? [];
    default:
      return [{ action: act(call.operation), resource: '*' }];
  }
  void r;
}

function ecsChecks(call: Call, d: Deployment, iam: IamChecker): Check[] {
  const r = d.resolver;
  const j = (call.json ?? {}) as Record<string, unknown>;
  const clusterOf = (c: unknown) => {
    const s = String(c ?? 'default');
    return s.startsWith('arn:') ? s : ARN('ecs', `cluster/${s}`);
  };
  if (call.operation === 'RunTask') {
    const td = String(j.taskDefinition ?? '');
    const tdArn = td.startsWith('arn:') ? td : ARN('ecs', `task-definition/${td}`);
    const checks: Check[] = [{ action: 'ecs:RunTask', resource: tdArn, context: { 'ecs:cluster': clusterOf(j.cluster) } }];
    const tdLogical = logicalOf(r, 'AWS::ECS::TaskDefinition', d, td);
    const props = tdLogical ? (r.resolve(d.template.Resources[tdLogical]?.Properties) as Record<string, unknown>) : {};
    for (const key of ['TaskRoleArn', 'ExecutionRoleArn']) {
      const role = props[key];
      if (typeof role === 'string') {
        checks.push({ action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }, onBehalf: `RunTask passes the task definition's ${key}` });
      }
    }
    void iam;
    return checks;
  }
  if (call.operation === 'DescribeTasks' || call.operation === 'StopTask') {
    const tasks = (j.tasks as string[] | undefined) ?? [String(j.task ?? '')];
    return tasks.map((t) => ({ action: `ecs:${call.operation}`, resource: t.startsWith('arn:') ? t : ARN('ecs', `task/${t}`), context: { 'ecs:cluster': clusterOf(j.cluster) } }));
  }
  return [{ action: `ecs:${call.operation}`, resource: '*' }];
}

async function ec2Checks(call: Call, d: Deployment, emu: Emulators): Promise<Check[]> {
  const r = d.resolver;
  const f = call.form ?? new URLSearchParams();
  const op = call.operation;
  if (op === 'RunInstances') {
    const ltId = f.get('LaunchTemplate.LaunchTemplateId') ?? '';
    const ltArn = ARN('ec2', `launch-template/${ltId}`);
    const ltLogical = logicalOf(r, 'AWS::EC2::LaunchTemplate', d, ltId);
    const data = (ltLogical ? (r.resolve(d.template.Resources[ltLogical]?.Properties) as { LaunchTemplateData?: Record<string, unknown> }).LaunchTemplateData : undefined) ?? {};
    const ctx = ltId ? { 'ec2:LaunchTemplate': ltArn } : undefined;
    const imageId = String(f.get('ImageId') ?? data.ImageId ?? '');
    const subnet = f.get('SubnetId');
    const sgs = [...f.entries()].filter(([k]) => k.startsWith('SecurityGroupId.')).map(([, v]) => v);
    for (const sg of (data.SecurityGroupIds as string[] | undefined) ?? []) sgs.push(sg);
    const on = (resource: string): Check => ({ action: 'ec2:RunInstances', resource, ...(ctx ? { context: ctx } : {}) });
    const checks: Check[] = [];
    if (ltId) checks.push(on(ltArn));
    checks.push(on(ARN('ec2', 'instance/*')), on(ARN('ec2', 'volume/*')), on(ARN('ec2', 'network-interface/*')));
    if (subnet) checks.push(on(ARN('ec2', `subnet/${subnet}`)));
    for (const sg of new Set(sgs)) checks.push(on(ARN('ec2', `security-group/${sg}`)));
    if (data.InstanceMarketOptions) checks.push(on(ARN('ec2', 'spot-instances-request/*')));
    if (imageId.startsWith('resolve:ssm:')) {
      const name = imageId.slice('resolve:ssm:'.length).replace(/^\//, '');
      checks.push({ action: 'ssm:GetParameters', resource: ARN('ssm', `parameter/${name}`), onBehalf: 'EC2 resolves the launch template\'s resolve:ssm: image id as the RunInstances caller' });
      checks.push(on(`arn:aws:ec2:${REGION}::image/${d.builderAmi}`));
    } else if (imageId) checks.push(on(`arn:aws:ec2:${REGION}::image/${imageId}`));
    const tagged = [...f.keys()].some((k) => k.startsWith('TagSpecification.')) || Array.isArray(data.TagSpecifications);
    if (tagged) {
      const tagCtx = { 'ec2:CreateAction': 'RunInstances' };
      checks.push({ action: 'ec2:CreateTags', resource: ARN('ec2', 'instance/*'), context: tagCtx, onBehalf: 'tags on launch' });
      checks.push({ action: 'ec2:CreateTags', resource: ARN('ec2', 'volume/*'), context: tagCtx, onBehalf: 'tags on launch' });
    }
    const profileArn = (data.IamInstanceProfile as { Arn?: string } | undefined)?.Arn;
    if (profileArn) {
      const profile = Object.entries(d.template.Resources).find(([id, res]) => res.Type === 'AWS::IAM::InstanceProfile' && r.physical.get(id)?.attrs.Arn === profileArn);
      for (const role of (profile ? (r.resolve(profile[1].Properties?.Roles) as string[]) : []) ?? []) {
        const roleLogical = logicalOf(r, 'AWS::IAM::Role', d, role);
        const roleArn = roleLogical ? r.getAtt(roleLogical, 'Arn') : `arn:aws:iam::${ACCOUNT}:role/${role}`;
        checks.push({ action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': 'ec2.amazonaws.com' }, onBehalf: 'the launch template\'s instance profile' });
      }
    }
    const ebsKms = ((data.BlockDeviceMappings as Array<{ Ebs?: { KmsKeyId?: string } }> | undefined) ?? []).map((b) => b.Ebs?.KmsKeyId).filter((k): k is string => !!k);
    for (const k of ebsKms) {
      checks.push({ action: 'kms:CreateGrant', resource: kmsKeyArn(d, k), onBehalf: 'encrypted EBS volume with a customer key' });
    }
    return checks;
  }
  if (op === 'TerminateInstances' || op === 'StopInstances') {
    const ids = [...f.entries()].filter(([k]) => k.startsWith('InstanceId.')).map(([, v]) => v);
    const checks: Check[] = [];
    for (const id of ids) {
      const tags = await instanceTags(emu, id);
      const context: Record<string, string> = {};
      for (const [k, v] of Object.entries(tags)) context[`ec2:ResourceTag/${k}`] = v;
      checks.push({ action: `ec2:${op}`, resource: ARN('ec2', `instance/${id}`), context });
    }
    return checks;
  }
  return [{ action: `ec2:${op}`, resource: '*' }];
}

async function instanceTags(emu: Emulators, instanceId: string): Promise<Record<string, string>> {
  const form = new URLSearchParams({ Action: 'DescribeInstances', Version: '2016-11-15', 'InstanceId.1': instanceId });
  const res = await fetch(emu.moto, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `AWS4-HMAC-SHA256 Credential=RehearsalDeployer/20260101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0` },
    body: form.toString(),
  });
  const xml = await res.text();
  const tags: Record<string, string> = {};
  for (const m of xml.matchAll(/<item>\s*<key>([^<]*)<\/key>\s*<value>([^<]*)<\/value>\s*<\/item>/g)) tags[m[1] ?? ''] = m[2] ?? '';
  return tags;
}
