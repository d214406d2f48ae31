import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { REPO_ROOT } from '../../lib/handlers.js';
import { queryCall } from './aws-raw.js';
import { ACCOUNT, REGION } from './cfn.js';
import type { Deployment } from './deploy.js';
import type { Emulators } from './emulators.js';
import type { AwsGateway } from './gateway.js';
import type { Principal } from './iam-check.js';
import { plainHttp } from './lambdas.js';

const run = promisify(execFile);

/**
 * Compute that is not Lambda: EC2 builder instances and the Fargate publisher task.
 * - An instance that moto launched "boots": its user data (decoded from the
 *   RunInstances request) is run in the bootstrap script's dry-run mode to read the
 *   three values it hands the agent, and the agent runs as the image recipe installs
 *   it (the bundle the recipe's component parameter points to in cdk.out), with
 *   rpmbuild in bubblewrap standing in for mock. When it exits, the instance powers
 *   off, which the launch template's shutdown behaviour turns into termination.
 * - A task that moto "started" runs the container's entry (bundled as its
 *   Dockerfile bundles it) with the task definition's environment, the run's
 *   overrides and the task role's credentials; its exit code is what DescribeTasks
 *   then reports.
 */
export interface AgentBundle {
  readonly path: string;
  readonly source: string;
}

/** The agent the image recipe installs: recipe parameter → S3 asset → file in cdk.out. */
export async function agentAsInstalled(d: Deployment, cdkOut: string, defects: string[], gateway: AwsGateway): Promise<AgentBundle> {
  const r = d.resolver;
  const res = d.template.Resources;
  let uri: string | undefined;
  for (const [id, x] of Object.entries(res)) {
    if (x.Type !== 'AWS::ImageBuilder::ImageRecipe') continue;
    for (const c of (x.Properties?.Components ?? []) as Array<{ ComponentArn: unknown; Parameters?: Array<{ Name: string; Value: unknown[] }> }>) {
      const compId = (c.ComponentArn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
      const data = String(compId ? (res[compId]?.Properties?.Data ?? '') : '');
      const given = new Map((c.Parameters ?? []).map((p) => [p.Name, (r.resolve(p.Value) as string[])[0]]));
      for (const name of requiredParameters(data)) {
        if (!given.has(name)) defects.push(`image recipe ${id}: component ${compId} parameter ${name} has no default and the recipe does not pass it`);
      }
      if (/aws s3 cp '?\{\{\s*AgentBundleS3Uri\s*\}\}/.test(data) && given.get('AgentBundleS3Uri')) uri = given.get('AgentBundleS3Uri');
    }
  }
  const key = uri?.replace(/^s3:\/\/[^/]+\//, '');
  const bucket = uri ? /^s3:\/\/([^/]+)\//.exec(uri)?.[1] : undefined;
  if (key && bucket) {
    // The image build instance downloads it with its own role.
    const role = Object.entries(res).find(([, x]) => x.Type === 'AWS::IAM::InstanceProfile' && JSON.stringify(x.Properties?.Roles ?? []).includes('BuilderImage'))?.[1];
    const roleId = ((role?.Properties?.Roles as Array<{ Ref: string }> | undefined) ?? [])[0]?.Ref;
    if (roleId) {
      const denied = await gateway.checkAll({ roleLogicalId: roleId, label: 'image build instance' }, [{ action: 's3:GetObject', resource: `arn:aws:s3:::${bucket}/${key}`, onBehalf: 'the recipe installs the agent with aws s3 cp' }]);
      defects.push(...denied.map((x) => `image build instance: ${x}`));
    }
    const manifest = readdirSync(cdkOut).find((f) => f.endsWith('.assets.json'));
    const assets = manifest ? (JSON.parse(readFileSync(join(cdkOut, manifest), 'utf8')) as { files?: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }> }) : {};
    for (const f of Object.values(assets.files ?? {})) {
      if (Object.values(f.destinations).some((dst) => dst.objectKey === key)) {
        const p = join(cdkOut, f.source.path);
        const file = existsSync(join(p, 'agent.mjs')) ? join(p, 'agent.mjs') : p;
        if (existsSync(file)) return { path: file, source: `cdk.out asset ${f.source.path} (recipe parameter AgentBundleS3Uri)` };
      }
    }
    defects.push(`image recipe passes ${uri}, but no asset in cdk.out uploads that key`);
  } else {
    defects.push('no image recipe passes AgentBundleS3Uri to a component that installs the agent: builders would boot without the agent');
  }
  // So the rest of the flow still runs: the agent bundled as the recipe documents it.
  const out = join(mkdtempSync('/tmp/rehearsal-agent-'), 'agent.mjs');
  await build({
    entryPoints: [join(REPO_ROOT, 'builder-ami/agent/main.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  });
  return { path: out, source: 'bundled by the rehearsal (fallback: not in cdk.out)' };
}

/** Names of component parameters without a default (AWSTOE YAML, read line by line). */
function requiredParameters(yaml: string): string[] {
  const lines = yaml.split('\n');
  const start = lines.findIndex((l) => /^parameters:\s*$/.test(l));
  if (start < 0) return [];
  const out: string[] = [];
  let current: { name: string; hasDefault: boolean } | null = null;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const m = /^\s*-\s*([A-Za-z0-9_]+):\s*$/.exec(line);
    if (m) {
      if (current && !current.hasDefault) out.push(current.name);
      current = { name: m[1] ?? '', hasDefault: false };
    } else if (current && /^\s+default:/.test(line)) current.hasDefault = true;
  }
  if (current && !current.hasDefault) out.push(current.name);
  return out;
}

/** The publisher container's entry, bundled the way its Dockerfile bundles it. */
export async function publisherAsBuilt(d: Deployment, cdkOut: string): Promise<{ path: string; source: string }> {
  const td = Object.values(d.template.Resources).find((x) => x.Type === 'AWS::ECS::TaskDefinition');
  const image = JSON.stringify(td?.Properties?.ContainerDefinitions ?? '');
  const hash = /:([0-9a-f]{64})"/.exec(image)?.[1];
  const dockerfile = hash ? join(cdkOut, `asset.${hash}`, 'Dockerfile') : '';
  if (!existsSync(dockerfile)) throw new Error(`the publisher image asset (${hash}) is not in cdk.out`);
  const text = readFileSync(dockerfile, 'utf8');
  const entry = /esbuild\s+(\S+\.ts)/.exec(text)?.[1];
  if (!entry) throw new Error(`${dockerfile}: no esbuild entry`);
  const out = join(mkdtempSync('/tmp/rehearsal-publisher-'), 'publisher-task.mjs');
  await build({
    entryPoints: [join(REPO_ROOT, entry)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'silent',
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  });
  return { path: out, source: `${entry} bundled as asset.${hash?.slice(0, 12)}…/Dockerfile does` };
}

export interface InstanceRun {
  readonly instanceId: string;
  readonly taskId: string;
  exit: number | null;
  /** The agent's process (its group is the "instance"). */
  readonly pid: number | undefined;
}

export interface TaskRun {
  readonly taskArn: string;
  exit: number | null;
  readonly log: string;
}

export class Compute {
  readonly instances: InstanceRun[] = [];
  readonly tasks = new Map<string, TaskRun>();
  private readonly children = new Set<ChildProcess>();
  readonly errors: string[] = [];

  constructor(
    private readonly d: Deployment,
    private readonly emu: Emulators,
    private readonly gateway: AwsGateway,
    private readonly agent: AgentBundle,
    private readonly publisher: { path: string },
    private readonly workDir: string,
  ) {}

  /** The gateway saw moto accept RunInstances. */
  boot(instanceIds: string[], params: URLSearchParams): void {
    const userData = Buffer.from(params.get('UserData') ?? '', 'base64').toString('utf8');
    for (const instanceId of instanceIds) {
      void this.bootOne(instanceId, userData).catch((err: unknown) => this.errors.push(`instance ${instanceId}: ${(err as Error).message}`));
    }
  }

  private async bootOne(instanceId: string, userData: string): Promise<void> {
    const dir = join(this.workDir, instanceId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const script = join(dir, 'user-data.sh');
    writeFileSync(script, userData, { mode: 0o700 });
    // The bootstrap script's own dry run prints exactly what it would hand the agent.
    const { stdout } = await run('bash', [script], { env: { PATH: process.env.PATH, COPR_BOOTSTRAP_DRY_RUN: '1' } });
    const [apiUrl, taskId, credential] = stdout.split('\n');
    if (!apiUrl || !taskId || !credential) throw new Error(`user data gave no api/task/credential: ${stdout.slice(0, 200)}`);
    const credFile = join(dir, 'credential');
    writeFileSync(credFile, credential, { mode: 0o600 });
    const log = openSync(join(this.workDir, `${instanceId}.log`), 'a');
    const child = spawn(process.execPath, [this.agent.path, '--api', plainHttp(apiUrl), '--task', taskId, '--credential-file', credFile], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        COPR_WORK_ROOT: dir,
        // mock on the AMI; rpmbuild in bubblewrap here.
        COPR_BUILDER_SANDBOX: 'bwrap',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stdio: ['ignore', log, log],
      detached: true,
    });
    closeSync(log);
    const record: InstanceRun = { instanceId, taskId, exit: null, pid: child.pid };
    this.instances.push(record);
    this.children.add(child);
    child.on('exit', (code) => {
      this.children.delete(child);
      record.exit = code;
      // "shutdown -h now" with InstanceInitiatedShutdownBehavior=terminate.
      void queryCall(this.emu.moto, 'ec2', 'TerminateInstances', '2016-11-15', { 'InstanceId.1': instanceId }).catch(() => undefined);
    });
  }

  /**
   * The instance is lost (hardware failure, spot reclaim): its agent and everything
   * it runs die at once, without a last report. EC2 then shows it terminated.
   */
  lose(instanceId: string): void {
    const run = this.instances.find((i) => i.instanceId === instanceId);
    if (!run?.pid) throw new Error(`no running instance ${instanceId}`);
    process.kill(-run.pid, 'SIGKILL');
  }

  /** The gateway saw moto accept ECS RunTask. */
  startTask(input: Record<string, unknown>, output: Record<string, unknown>): void {
    const r = this.d.resolver;
    const tasks = (output.tasks ?? []) as Array<{ taskArn?: string }>;
    const td = Object.entries(this.d.template.Resources).find(([id, x]) => x.Type === 'AWS::ECS::TaskDefinition' && r.ref(id) === input.taskDefinition);
    if (!td) {
      this.errors.push(`RunTask of unknown task definition ${String(input.taskDefinition)}`);
      return;
    }
    const props = r.resolve(td[1].Properties) as { TaskRoleArn?: string; ContainerDefinitions: Array<{ Name: string; Environment?: Array<{ Name: string; Value: string }> }> };
    const overrides = ((input.overrides as { containerOverrides?: Array<{ name: string; environment?: Array<{ name: string; value: string }> }> } | undefined)?.containerOverrides ?? []);
    const roleLogical = Object.keys(this.d.template.Resources).find((id) => this.d.template.Resources[id]?.Type === 'AWS::IAM::Role' && r.physical.get(id)?.attrs.Arn === props.TaskRoleArn);
    for (const t of tasks) {
      const taskArn = t.taskArn ?? '';
      const container = props.ContainerDefinitions[0];
      if (!container || !roleLogical) {
        this.errors.push(`task ${taskArn}: no container or task role`);
        continue;
      }
      const env: Record<string, string> = {};
      for (const e of container.Environment ?? []) env[e.Name] = plainHttp(e.Value);
      for (const o of overrides.filter((x) => x.name === container.Name)) for (const e of o.environment ?? []) env[e.name] = e.value;
      const principal: Principal = { roleLogicalId: roleLogical, label: `ECS task ${container.Name}` };
      const logPath = join(this.workDir, `task-${taskArn.split('/').pop()}.log`);
      const record: TaskRun = { taskArn, exit: null, log: logPath };
      this.tasks.set(taskArn, record);
      const log = openSync(logPath, 'a');
      const home = mkdtempSync(join(this.workDir, 'task-home-'));
      const child = spawn(process.execPath, ['--enable-source-maps', this.publisher.path], {
        cwd: home,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: home,
          TMPDIR: home,
          AWS_REGION: REGION,
          AWS_DEFAULT_REGION: REGION,
          AWS_ENDPOINT_URL: this.gateway.url,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ECS_CONTAINER_METADATA_URI_V4: `http://127.0.0.1:0/${ACCOUNT}`,
          ...this.gateway.credentialsFor(principal),
          ...env,
        },
        stdio: ['ignore', log, log],
      });
      closeSync(log);
      this.children.add(child);
      child.on('exit', (code) => {
        this.children.delete(child);
        record.exit = code ?? 1;
      });
    }
  }

  /** The Fargate task runtime: RunTask starts the container's entry, DescribeTasks reports it. */
  ecsTasks(operation: string, input: Record<string, unknown>): Record<string, unknown> {
    const r = this.d.resolver;
    const cluster = String(input.cluster ?? 'default');
    if (operation === 'RunTask') {
      const known = Object.entries(this.d.template.Resources).some(([id, x]) => x.Type === 'AWS::ECS::TaskDefinition' && r.ref(id) === input.taskDefinition);
      const subnets = ((input.networkConfiguration as { awsvpcConfiguration?: { subnets?: string[] } } | undefined)?.awsvpcConfiguration?.subnets ?? []);
      const ids = new Set([...r.physical.values()].map((p) => p.ref));
      if (!known) return { __type: 'InvalidParameterException', message: `task definition ${String(input.taskDefinition)} does not exist` };
      if (subnets.length === 0 || subnets.some((s) => !ids.has(s))) return { __type: 'InvalidParameterException', message: 'Network Configuration must be provided when networkMode \'awsvpc\' is specified.' };
      const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster.split('/').pop()}/${randomUUID().replace(/-/g, '')}`;
      const output = { tasks: [{ taskArn, clusterArn: cluster, taskDefinitionArn: input.taskDefinition, lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING', launchType: 'FARGATE', containers: [{ name: 'publisher', lastStatus: 'PENDING' }] }], failures: [] };
      this.startTask(input, output);
      return output;
    }
    const tasks = ((input.tasks as string[] | undefined) ?? []).map((taskArn) => ({ taskArn, clusterArn: cluster, containers: [{ name: 'publisher' }] }));
    return this.describeTasks({ tasks, failures: [] });
  }

  /** moto keeps every task RUNNING; the rehearsal knows which have exited and how. */
  describeTasks(output: Record<string, unknown>): Record<string, unknown> {
    const tasks = ((output.tasks ?? []) as Array<Record<string, unknown>>).map((t) => {
      const run = this.tasks.get(String(t.taskArn));
      if (!run) return t;
      const stopped = run.exit !== null;
      const containers = ((t.containers as Array<Record<string, unknown>> | undefined) ?? [{ name: 'publisher' }]).map((c) => ({
        ...c,
        lastStatus: stopped ? 'STOPPED' : 'RUNNING',
        ...(stopped ? { exitCode: run.exit } : {}),
      }));
      return { ...t, lastStatus: stopped ? 'STOPPED' : 'RUNNING', desiredStatus: stopped ? 'STOPPED' : 'RUNNING', containers };
    });
    return { ...output, tasks };
  }

  async stop(): Promise<void> {
    for (const c of this.children) {
      try {
        if (c.pid) process.kill(-c.pid, 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
    }
  }
}
