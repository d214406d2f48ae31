import { fork, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, symlinkSync, type WriteStream } from 'node:fs';
import { REPO_ROOT } from '../../lib/handlers.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deployment } from './deploy.js';
import type { AwsGateway } from './gateway.js';
import type { Principal } from './iam-check.js';

/**
 * The Lambda service stand-in: each function runs from the bundle that `cdk synth`
 * wrote (its `aws:asset:path` in cdk.out), in its own process, with exactly the
 * environment the template gives it (intrinsics resolved), the role's credentials
 * (which the gateway maps back to the role) and the endpoint override. Invocations
 * above Lambda's 6 MB synchronous payload limit are refused as Lambda refuses them.
 */
export const INVOKE_PAYLOAD_LIMIT = 6 * 1024 * 1024;

export class PayloadTooLarge extends Error {
  constructor(readonly bytes: number) {
    super(`RequestEntityTooLargeException: ${bytes} bytes exceeds the ${INVOKE_PAYLOAD_LIMIT} byte invoke payload limit`);
  }
}

export class FunctionError extends Error {}

export interface FunctionInfo {
  readonly logicalId: string;
  readonly name: string;
  readonly bundleDir: string;
  readonly handler: string;
  readonly env: Record<string, string>;
  readonly principal: Principal;
  readonly timeoutMs: number;
  readonly entry: string;
}

const WORKER = fileURLToPath(new URL('./lambda-worker.ts', import.meta.url));
/** tsx's loader, resolved from here: the worker's cwd is the bundle directory, outside the project. */
const TSX_LOADER = import.meta.resolve('tsx');

/** https:// URLs of the stand-ins are served over plain HTTP here (no TLS termination). */
export const plainHttp = (value: string) => value.replace(/https:\/\/127\.0\.0\.1:/g, 'http://127.0.0.1:');

export function functionsOf(d: Deployment, cdkOut: string): FunctionInfo[] {
  const r = d.resolver;
  return Object.entries(d.template.Resources)
    .filter(([, res]) => res.Type === 'AWS::Lambda::Function' && isNodeFunction(res.Properties))
    .map(([logicalId, res]) => {
      const p = res.Properties ?? {};
      const assetPath = String(res.Metadata?.['aws:asset:path'] ?? '');
      const roleRef = p.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
      const roleLogicalId = roleRef?.['Fn::GetAtt']?.[0];
      if (!assetPath || !roleLogicalId) throw new Error(`${logicalId}: no bundled asset or role in the template`);
      const vars = (r.resolve((p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}) ?? {}) as Record<string, unknown>;
      const env = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, plainHttp(String(v))]));
      return {
        logicalId,
        name: r.ref(logicalId),
        bundleDir: join(cdkOut, assetPath),
        handler: String(p.Handler ?? 'index.handler'),
        env,
        principal: { roleLogicalId, label: `Lambda ${logicalId}` },
        timeoutMs: Number(p.Timeout ?? 3) * 1000,
        entry: String(res.Metadata?.['copr:entry'] ?? ''),
      };
    });
}

/** The stack's own functions run on Node; CDK's helper functions (BucketDeployment) are Python. */
export const isNodeFunction = (p: Record<string, unknown> | undefined) => String(p?.Runtime ?? '').startsWith('nodejs');

export interface InvokeOptions {
  /** Run this invocation's Date.now() this far ahead (time passing, without waiting for it). */
  readonly clockOffsetMs?: number;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

class Environment {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  invocations = 0;

  constructor(
    readonly fn: FunctionInfo,
    private readonly env: Record<string, string>,
    private readonly log: WriteStream,
  ) {}

  private start(): Promise<void> {
    this.ready ??= new Promise<void>((ok, fail) => {
      const child = fork(WORKER, [], {
        cwd: this.fn.bundleDir,
        env: this.env,
        execArgv: ['--import', TSX_LOADER, ...(this.fn.env.NODE_OPTIONS ? this.fn.env.NODE_OPTIONS.split(/\s+/).filter(Boolean) : [])],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      this.child = child;
      child.stdout?.pipe(this.log, { end: false });
      child.stderr?.pipe(this.log, { end: false });
      child.on('message', (m: { type: string; id?: number; result?: unknown; error?: unknown }) => {
        if (m.type === 'ready') return ok();
        if (m.type === 'init-error') return fail(new Error(`${this.fn.logicalId} init: ${String(m.error)}`));
        const p = m.id === undefined ? undefined : this.pending.get(m.id);
        if (!p || m.id === undefined) return;
        this.pending.delete(m.id);
        if (m.type === 'result') p.resolve(m.result);
        else p.reject(new FunctionError(JSON.stringify(m.error)));
      });
      child.on('exit', (code) => {
        const err = new FunctionError(`${this.fn.logicalId}: runtime exited with ${code}`);
        fail(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        this.child = null;
        this.ready = null;
      });
    });
    return this.ready;
  }

  async invoke(event: unknown, opts: InvokeOptions = {}): Promise<unknown> {
    const size = Buffer.byteLength(JSON.stringify(event));
    if (size > INVOKE_PAYLOAD_LIMIT) throw new PayloadTooLarge(size);
    await this.start();
    this.invocations++;
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child?.send({ id, event, timeoutMs: this.fn.timeoutMs, ...(opts.clockOffsetMs ? { clockOffsetMs: opts.clockOffsetMs } : {}) });
    });
  }

  stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((ok) => {
      child.once('exit', () => ok());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  }
}

export class LambdaService {
  private readonly envs = new Map<string, Environment>();
  readonly functions: FunctionInfo[];

  constructor(
    d: Deployment,
    cdkOut: string,
    gateway: AwsGateway,
    logDir: string,
    extraEnv: Record<string, string> = {},
  ) {
    this.functions = functionsOf(d, cdkOut);
    // /var/task and /var/runtime: the bundle is copied unchanged into a task root whose
    // parent offers @aws-sdk/* only, as the Node.js runtime provides the SDK that
    // NodejsFunction leaves out of bundles (anything else unbundled fails to load).
    const runtimeRoot = join(logDir, '..', 'lambda');
    mkdirSync(join(runtimeRoot, 'node_modules'), { recursive: true });
    if (!existsSync(join(runtimeRoot, 'node_modules', '@aws-sdk'))) symlinkSync(join(REPO_ROOT, 'node_modules', '@aws-sdk'), join(runtimeRoot, 'node_modules', '@aws-sdk'));
    for (const original of this.functions) {
      const taskRoot = join(runtimeRoot, original.logicalId);
      cpSync(original.bundleDir, taskRoot, { recursive: true });
      const fn = { ...original, bundleDir: taskRoot };
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: '/tmp',
        TZ: ':UTC',
        LANG: 'en_US.UTF-8',
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(d.template.Resources[fn.logicalId]?.Properties?.MemorySize ?? 128),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        LAMBDA_TASK_ROOT: fn.bundleDir,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_ENDPOINT_URL: gateway.url,
        ...gateway.credentialsFor(fn.principal),
        ...fn.env,
        ...extraEnv,
        REHEARSAL_BUNDLE_DIR: fn.bundleDir,
        REHEARSAL_HANDLER: fn.handler,
      };
      delete env.NODE_OPTIONS; // passed as execArgv (Node refuses some flags in NODE_OPTIONS otherwise)
      this.envs.set(fn.logicalId, new Environment(fn, env, createWriteStream(join(logDir, `${fn.logicalId}.log`), { flags: 'a' })));
    }
  }

  byEntry(entry: string): FunctionInfo {
    const fn = this.functions.find((f) => f.entry.endsWith(entry));
    if (!fn) throw new Error(`no function bundled from ${entry}`);
    return fn;
  }

  byArn(arn: string): FunctionInfo | undefined {
    return this.functions.find((f) => arn.endsWith(`:function:${f.name}`) || arn === f.name);
  }

  invoke(logicalId: string, event: unknown, opts: InvokeOptions = {}): Promise<unknown> {
    const env = this.envs.get(logicalId);
    if (!env) throw new Error(`no function ${logicalId}`);
    return env.invoke(event, opts);
  }

  invocations(): Record<string, number> {
    return Object.fromEntries([...this.envs].map(([id, e]) => [id, e.invocations]));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.envs.values()].map((e) => e.stop()));
  }
}
