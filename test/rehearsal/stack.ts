import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../lib/handlers.js';
import { CdnStandIn } from './cdn.js';
import { ACCOUNT, REGION, STACK_NAME, type Template } from './cfn.js';
import { agentAsInstalled, Compute, publisherAsBuilt, type AgentBundle } from './compute.js';
import { deploy, listing, type Deployment } from './deploy.js';
import { startEmulators, type Emulators } from './emulators.js';
import { SqsPollers } from './event-sources.js';
import { AwsGateway, type GatewayHooks } from './gateway.js';
import { HttpApiStandIn } from './http-api.js';
import { IamChecker } from './iam-check.js';
import { LambdaService, type InvokeOptions } from './lambdas.js';
import { lifecycleInventory } from './lifecycle.js';

const run = promisify(execFile);

/**
 * The whole rehearsal stack: `cdk synth` (the project's own app and cdk.json), the
 * emulators, the template "deployed" into them, and the stand-ins for what they do
 * not emulate. `up()` returns it running; `down()` stops everything it started.
 */
export interface SynthOutput {
  readonly cdkOut: string;
  readonly template: Template;
  readonly seconds: number;
}

export async function synth(outDir = mkdtempSync(join(tmpdir(), 'copr-rehearsal-cdkout-'))): Promise<SynthOutput> {
  const started = Date.now();
  // For iterating on the rehearsal itself: reuse a cdk.out that `cdk synth` wrote before.
  const reuse = process.env.REHEARSAL_CDK_OUT;
  if (reuse) outDir = reuse;
  else await run('npx', ['cdk', 'synth', '--quiet', '--output', outDir], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
  const file = readdirSync(outDir).find((f) => f.endsWith('.template.json'));
  if (!file) throw new Error(`cdk synth wrote no template into ${outDir}`);
  return { cdkOut: outDir, template: JSON.parse(readFileSync(join(outDir, file), 'utf8')) as Template, seconds: (Date.now() - started) / 1000 };
}

export interface Rehearsal {
  readonly emu: Emulators;
  readonly deployment: Deployment;
  readonly gateway: AwsGateway;
  readonly iam: IamChecker;
  readonly lambdas: LambdaService;
  readonly api: HttpApiStandIn;
  readonly cdns: Map<string, CdnStandIn>;
  readonly pollers: SqsPollers | null;
  readonly compute: Compute | null;
  readonly agent: AgentBundle | null;
  readonly workDir: string;
  /** Wiring defects found while deploying and booting (the IAM denials are in `iam`). */
  readonly defects: string[];
  readonly listing: string[];
  /** The distribution serving the dashboard and API (the one with an API origin). */
  web(): CdnStandIn;
  /** The distribution serving the results bucket. */
  results(): CdnStandIn;
  /** What EventBridge does when the rule's schedule fires: invoke each Lambda target with its input. */
  fireSchedule(ruleLogicalId: string, opts?: InvokeOptions): Promise<unknown[]>;
  down(): Promise<void>;
}

export interface UpOptions {
  readonly synthOutput: SynthOutput;
  /** Start the SQS pollers, EC2 boots and ECS tasks (the full flow); off for the deploy-only checks. */
  readonly compute?: boolean;
}

export async function up(opts: UpOptions): Promise<Rehearsal> {
  const { cdkOut, template } = opts.synthOutput;
  const workDir = mkdtempSync(join(tmpdir(), 'copr-rehearsal-'));
  mkdirSync(join(workDir, 'logs'));
  const defects: string[] = [];
  const emu = await startEmulators();
  let deployment: Deployment | null = null;
  let lambdas: LambdaService | null = null;
  const d = () => {
    if (!deployment) throw new Error('not deployed yet');
    return deployment;
  };
  const l = () => {
    if (!lambdas) throw new Error('no functions yet');
    return lambdas;
  };
  const hooks: GatewayHooks = {};
  // The checker needs the resolver, which exists once deployment starts; a proxy object defers it.
  let iamRef: IamChecker | null = null;
  const iamProxy = new Proxy({} as IamChecker, {
    get: (_t, prop) => {
      if (!iamRef) throw new Error('IAM checker used before deployment');
      const v = (iamRef as unknown as Record<string | symbol, unknown>)[prop];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(iamRef) : v;
    },
  });
  const gateway = new AwsGateway(emu, d, iamProxy, hooks);
  await gateway.start();
  const api = new HttpApiStandIn(d, l);
  await api.listen();
  const functionUrls = new Map<string, HttpApiStandIn>();
  for (const [id, x] of Object.entries(template.Resources)) {
    if (x.Type !== 'AWS::Lambda::Url') continue;
    const fu = new HttpApiStandIn(d, l);
    await fu.listen();
    functionUrls.set(id, fu);
  }
  const cdns = new Map<string, CdnStandIn>();
  const apiDomain = (domain: string) => {
    // Function URLs resolve to their stand-in's host:port already.
    if (/^127\.0\.0\.1:\d+$/.test(domain)) return `http://${domain}`;
    const apiId = Object.entries(template.Resources).find(([, x]) => x.Type === 'AWS::ApiGatewayV2::Api')?.[0];
    return apiId && domain === `${d().resolver.ref(apiId)}.execute-api.${REGION}.amazonaws.com` ? api.url : undefined;
  };
  for (const [id, x] of Object.entries(template.Resources)) {
    if (x.Type !== 'AWS::CloudFront::Distribution') continue;
    const cdn = new CdnStandIn(id, d, () => emu, apiDomain);
    await cdn.listen();
    cdns.set(id, cdn);
  }
  try {
    deployment = await deploy(template, emu, {
      distributions: Object.fromEntries([...cdns].map(([id, c]) => [id, c.host])),
      httpApi: api.url,
      gateway: gateway.url,
      functionUrls: Object.fromEntries([...functionUrls].map(([id, f]) => [id, f.url])),
    });
  } catch (err) {
    await Promise.all([gateway.stop(), api.stop(), ...[...functionUrls.values()].map((f) => f.stop()), ...[...cdns.values()].map((c) => c.stop()), emu.stop()]);
    throw err;
  }
  const dep = deployment;
  const iam = new IamChecker(template, dep.resolver);
  iamRef = iam;
  lambdas = new LambdaService(dep, cdkOut, gateway, join(workDir, 'logs'), { REHEARSAL_COGNITO_ENDPOINT: emu.moto });
  api.configure();
  for (const [id, fu] of functionUrls) {
    const fn = l().byArn(dep.resolver.resolveString(template.Resources[id]?.Properties?.TargetFunctionArn));
    if (!fn) throw new Error(`function URL ${id} targets no function of the stack`);
    fu.configureFunctionUrl(fn.logicalId);
  }
  for (const c of cdns.values()) c.configure();
  const webCdn = () => {
    const c = [...cdns.values()].find((x) => JSON.stringify(template.Resources[x.logicalId]?.Properties ?? {}).includes('execute-api'));
    if (!c) throw new Error('no distribution with the API as origin');
    return c;
  };
  const resultsCdn = () => {
    const c = [...cdns.values()].find((x) => x !== webCdn());
    if (!c) throw new Error('no results distribution');
    return c;
  };

  const lifecycle = lifecycleInventory(template, dep.resolver);
  defects.push(...lifecycle.defects);
  await seedWebBucket(dep, cdkOut, emu, defects);
  await runCustomResources(dep, l(), defects);

  let pollers: SqsPollers | null = null;
  let compute: Compute | null = null;
  let agent: AgentBundle | null = null;
  if (opts.compute) {
    agent = await agentAsInstalled(dep, cdkOut, defects, gateway);
    const publisher = await publisherAsBuilt(dep, cdkOut);
    const c = new Compute(dep, emu, gateway, agent, publisher, join(workDir, 'compute'));
    mkdirSync(join(workDir, 'compute'));
    compute = c;
    hooks.instanceLaunched = ({ instanceIds, params }) => c.boot(instanceIds, params);
    hooks.ecsTasks = (operation, input) => c.ecsTasks(operation, input);
    pollers = new SqsPollers(dep, gateway, l());
    pollers.start();
  }

  const fireSchedule = async (ruleLogicalId: string, invokeOpts: InvokeOptions = {}): Promise<unknown[]> => {
    const rule = template.Resources[ruleLogicalId];
    const out: unknown[] = [];
    for (const t of (rule?.Properties?.Targets ?? []) as Array<{ Arn: unknown; Input?: string }>) {
      const fn = l().byArn(dep.resolver.resolveString(t.Arn));
      if (!fn) throw new Error(`${ruleLogicalId}: target is not a function of the stack`);
      const event = t.Input
        ? (JSON.parse(t.Input) as unknown)
        : { version: '0', id: 'rehearsal', 'detail-type': 'Scheduled Event', source: 'aws.events', account: ACCOUNT, time: new Date().toISOString(), region: REGION, resources: [dep.resolver.getAtt(ruleLogicalId, 'Arn')], detail: {} };
      out.push(await l().invoke(fn.logicalId, event, invokeOpts));
    }
    return out;
  };

  return {
    emu,
    deployment: dep,
    gateway,
    iam,
    lambdas: l(),
    api,
    cdns,
    pollers,
    compute,
    agent,
    workDir,
    defects,
    listing: [...listing(dep.resources), ...lifecycle.lines],
    web: webCdn,
    results: resultsCdn,
    fireSchedule,
    down: async () => {
      await pollers?.stop();
      await compute?.stop();
      await l().stop();
      await Promise.all([gateway.stop(), api.stop(), ...[...functionUrls.values()].map((f) => f.stop()), ...[...cdns.values()].map((c) => c.stop())]);
      await emu.stop();
    },
  };
}

/** BucketDeployment's custom resource is not run; its asset (the built dashboard) is copied as it would copy it. */
async function seedWebBucket(d: Deployment, cdkOut: string, emu: Emulators, defects: string[]): Promise<void> {
  const deployments = Object.entries(d.template.Resources).filter(([, x]) => x.Type === 'Custom::CDKBucketDeployment');
  if (deployments.length === 0) {
    defects.push('no Custom::CDKBucketDeployment: the stack ships no dashboard');
    return;
  }
  const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({ endpoint: emu.fauxqs, region: REGION, forcePathStyle: true, credentials: { accessKeyId: 'RehearsalDeployer', secretAccessKey: 'x' } });
  const manifest = JSON.parse(readFileSync(join(cdkOut, readdirSync(cdkOut).find((f) => f.endsWith('.assets.json')) ?? ''), 'utf8')) as { files?: Record<string, { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }> };
  for (const [, x] of deployments) {
    const p = d.resolver.resolve(x.Properties) as { DestinationBucketName: string; SourceObjectKeys?: string[]; SourceMarkers?: Array<Record<string, string>>; DestinationBucketKeyPrefix?: string };
    for (const [i, key] of (p.SourceObjectKeys ?? []).entries()) {
      const markers = Object.entries(p.SourceMarkers?.[i] ?? {});
      const asset = Object.values(manifest.files ?? {}).find((f) => Object.values(f.destinations).some((dst) => dst.objectKey === key));
      if (!asset) {
        defects.push(`bucket deployment source ${key} is not an asset of cdk.out`);
        continue;
      }
      const dir = join(cdkOut, asset.source.path);
      for (const file of walk(dir)) {
        const rel = file.slice(dir.length + 1);
        let body = readFileSync(file);
        // Deploy-time values (Source.jsonData with tokens) are markers the deployment replaces.
        if (markers.length > 0) body = Buffer.from(markers.reduce((text, [m, v]) => text.split(m).join(v), body.toString('utf8')));
        await s3.send(new PutObjectCommand({ Bucket: p.DestinationBucketName, Key: `${p.DestinationBucketKeyPrefix ?? ''}${rel}`, Body: body, ContentType: contentType(rel) }));
      }
    }
  }
  s3.destroy();
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function contentType(name: string): string {
  const ext = name.split('.').pop() ?? '';
  return { html: 'text/html', js: 'text/javascript', mjs: 'text/javascript', css: 'text/css', json: 'application/json', svg: 'image/svg+xml', png: 'image/png', ico: 'image/x-icon', txt: 'text/plain' }[ext] ?? 'application/octet-stream';
}

/** CloudFormation's side of a custom resource: invoke the ServiceToken with Create and wait for the cfn-response PUT. */
async function runCustomResources(d: Deployment, lambdas: LambdaService, defects: string[]): Promise<void> {
  const customs = Object.entries(d.template.Resources).filter(([, x]) => (x.Type.startsWith('Custom::') && x.Type !== 'Custom::CDKBucketDeployment') || x.Type === 'AWS::CloudFormation::CustomResource');
  if (customs.length === 0) return;
  const responses = new Map<string, { Status: string; Reason?: string }>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { LogicalResourceId: string; Status: string; Reason?: string };
        responses.set(body.LogicalResourceId, body);
      } catch {
        // an unreadable answer stays missing and fails below
      }
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  try {
    for (const [id, x] of customs) {
      const props = d.resolver.resolve(x.Properties) as Record<string, unknown>;
      const fn = lambdas.byArn(String(props.ServiceToken));
      if (!fn) {
        defects.push(`custom resource ${id}: ServiceToken ${String(props.ServiceToken)} is not a function of the stack (provider frameworks are not rehearsed)`);
        continue;
      }
      await lambdas.invoke(fn.logicalId, {
        RequestType: 'Create',
        ServiceToken: props.ServiceToken,
        ResponseURL: `http://127.0.0.1:${port}/cfn-response/${id}`,
        StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${STACK_NAME}/rehearsal`,
        RequestId: `rehearsal-${id}`,
        LogicalResourceId: id,
        ResourceType: x.Type,
        ResourceProperties: props,
      });
      const answer = responses.get(id);
      if (answer?.Status !== 'SUCCESS') defects.push(`custom resource ${id}: ${answer ? `${answer.Status} ${answer.Reason ?? ''}` : 'no cfn-response (the stack would hang for an hour)'}`);
    }
  } finally {
    server.close();
  }
}
