import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_HANDLERS, repoPath } from '../lib/handlers.js';
import { kb, ms, percentile, skipped, tempDir, type BenchPart, type PartResult, type Table } from './harness.js';

/**
 * Lambda bundle sizes and cold module-init time. Each Lambda entry of the stack
 * (lib/handlers.ts LAMBDA_HANDLERS: the files of `functions/handlers/` that run
 * on Lambda; the publisher's container entry is not a Lambda) is bundled the way the stack bundles it (lib/constructs/copr-function.ts: ESM,
 * minified, CommonJS require shim), here with target node20 and every
 * dependency, `@aws-sdk/*` included, inside the bundle. Init time is measured by
 * importing the bundle in a fresh `node` process, several times.
 */
const BUDGET = 1024 * 1024;
const INIT_RUNS = 5;
const REQUIRE_SHIM = "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/** Run in the child: time the import, check there is a handler, print both figures. */
const PROBE = `
const c0 = process.cpuUsage();
const t0 = performance.now();
const m = await import(process.argv[1]);
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
if (typeof m.handler !== 'function') { console.error('no exported handler'); process.exit(3); }
console.log(JSON.stringify({ importMs: t1 - t0, sinceStartMs: t1, importCpuMs: (c1.user + c1.system) / 1000 }));
`;

interface Init {
  importMs: number;
  sinceStartMs: number;
  /** CPU time (user + system) of the import: less sensitive to a loaded machine than wall time. */
  importCpuMs: number;
}

function initOnce(file: string, fnEnv: Record<string, string> = { TABLE_NAME: 'copr' }, nodeFlags: string[] = []): Init | { error: string } {
  try {
    const out = execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', PROBE, pathToFileURL(file).href], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // What a Lambda function gets besides its own settings; nothing reaches the network at init.
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...fnEnv },
      timeout: 30_000,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as Init;
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0];
    return { error: stderr || (err as Error).message.split('\n')[0]! };
  }
}

/** The three packages (or `functions/`…) that put the most bytes into the output. */
function largestInputs(meta: Metafile, outfile: string): string {
  const output = Object.entries(meta.outputs).find(([path]) => outfile.endsWith(basename(path)))?.[1];
  if (!output) return '-';
  const byPackage = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? m[1]! : path.split('/').slice(0, 2).join('/');
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
  }
  return [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, v]) => `${k} ${kb(v)}`)
    .join(', ');
}

export const lambdaBundlesPart: BenchPart = {
  name: 'lambda-bundles',
  title: 'Lambda bundle size and module init time',
  async run(): Promise<PartResult> {
    const entries = Object.values(LAMBDA_HANDLERS).map(repoPath).filter((f) => existsSync(f));
    if (entries.length === 0) return skipped('no Lambda handler files yet (lib/handlers.ts)');
    const out = tempDir('bundles');
    // First: the bundles as `cdk synth` writes them; their template environments serve both tables.
    const synthesized = synthesizedBundles();
    try {
      const rows = [];
      for (const entry of entries) {
        const source = readFileSync(entry, 'utf8');
        const outfile = join(out.path, basename(entry).replace(/\.ts$/, '.mjs'));
        const { metafile } = await build({
          metafile: true,
          entryPoints: [entry],
          outfile,
          bundle: true,
          format: 'esm',
          platform: 'node',
          target: 'node20',
          minify: true,
          // As the stack bundles (lib/constructs/copr-function.ts): ESM builds first.
          mainFields: ['module', 'main'],
          banner: { js: REQUIRE_SHIM },
          logLevel: 'error',
        });
        const bytes = statSync(outfile).size;
        const zipped = gzipSync(readFileSync(outfile), { level: 9 }).length;
        const results = Array.from({ length: INIT_RUNS }, () => initOnce(outfile, synthesized.envs.get(`functions/handlers/${basename(entry)}`)));
        const inits = results.filter((r): r is Init => !('error' in r));
        const failure = results.find((r): r is { error: string } => 'error' in r);
        const notes: string[] = [/placeholder/i.test(source.split('\n')[0] ?? '') ? 'placeholder source' : '', failure ? `init failed: ${failure.error}` : ''];
        notes.push(`largest: ${largestInputs(metafile, outfile)}`);
        rows.push([
          `functions/handlers/${basename(entry)}`,
          kb(bytes),
          kb(zipped),
          bytes < BUDGET ? 'yes' : 'NO',
          ms(percentile(inits.map((i) => i.importMs), 50)),
          ms(percentile(inits.map((i) => i.importCpuMs), 50)),
          ms(percentile(inits.map((i) => i.sinceStartMs), 50)),
          notes.filter(Boolean).join('; '),
        ]);
      }
      return {
        tables: [
          ...(synthesized.table ? [synthesized.table] : []),
          {
            title: `Lambda bundles (esbuild ESM, minify, platform node, target node20, @aws-sdk bundled)`,
            head: ['handler', 'minified', 'gzip', '< 1 MB', 'import p50 ms', 'import CPU p50 ms', 'process start → ready p50 ms', 'note'],
            rows,
            notes: [
              `Init: a fresh \`node\` process imports the bundle and checks for \`handler\`; ${INIT_RUNS} processes per bundle.`,
              '"process start → ready" is performance.now() in the child after the import (Node boot + import).',
              'Locally on x86_64 Node 20; Lambda runs Node 22 on arm64 with its own init overhead.',
            ],
          },
        ],
      };
    } finally {
      out.remove();
    }
  },
};

type Json = unknown;

/**
 * A stand-in for each CloudFormation value of a function's environment, shaped like
 * what it resolves to (queue refs are URLs, `DomainName` a host, `Arn` an ARN), so
 * the configuration a bundle parses at init accepts it. Nothing is called at init.
 */
function looseValue(v: Json, types: Record<string, string>): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  const o = (v ?? {}) as Record<string, Json>;
  if ('Ref' in o) {
    const id = String(o.Ref);
    if (id === 'AWS::Region') return 'us-east-1';
    if (id === 'AWS::AccountId') return '123456789012';
    if (id.startsWith('AWS::')) return 'aws';
    return types[id] === 'AWS::SQS::Queue' ? `https://sqs.us-east-1.amazonaws.com/123456789012/${id}` : id.toLowerCase();
  }
  if ('Fn::GetAtt' in o) {
    const [id, attr] = o['Fn::GetAtt'] as [string, string];
    if (attr.endsWith('Arn')) return `arn:aws:${(types[id] ?? 'AWS::X::Y').split('::')[1]?.toLowerCase()}:us-east-1:123456789012:${id.toLowerCase()}`;
    if (/Url|URL|Endpoint/.test(attr)) return `https://${id.toLowerCase()}.example/`;
    if (attr.endsWith('DomainName')) return `${id.toLowerCase()}.example`;
    return id.toLowerCase();
  }
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, Json[]];
    return parts.map((p) => looseValue(p, types)).join(sep);
  }
  return 'placeholder';
}

/**
 * The bundles as deployed: `cdk synth` of the project's app, each Node function's
 * asset from cdk.out, imported with its template environment (values stood in for)
 * and with and without the `NODE_OPTIONS` the template sets (source maps).
 */
function synthesizedBundles(): { table: Table | null; envs: Map<string, Record<string, string>> } {
  const envs = new Map<string, Record<string, string>>();
  const out = tempDir('cdkout');
  try {
    try {
      execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', out.path], { cwd: repoPath('.'), stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' }, maxBuffer: 64 << 20 });
    } catch (err) {
      return { table: { title: 'Lambda bundles as synthesized (cdk.out)', head: ['error'], rows: [[String((err as Error).message).split('\n')[0] ?? '']] }, envs };
    }
    const file = readdirSync(out.path).find((f) => f.endsWith('.template.json'));
    if (!file) return { table: null, envs };
    const template = JSON.parse(readFileSync(join(out.path, file), 'utf8')) as { Resources: Record<string, { Type: string; Properties?: Record<string, Json>; Metadata?: Record<string, Json> }> };
    const types = Object.fromEntries(Object.entries(template.Resources).map(([id, x]) => [id, x.Type]));
    const rows = [];
    for (const [id, x] of Object.entries(template.Resources)) {
      const entry = x.Metadata?.['copr:entry'];
      if (x.Type !== 'AWS::Lambda::Function' || typeof entry !== 'string') continue;
      const dir = join(out.path, String(x.Metadata?.['aws:asset:path'] ?? ''));
      const bundle = ['index.mjs', 'index.js'].map((f) => join(dir, f)).find((f) => existsSync(f));
      if (!bundle) continue;
      const vars = ((x.Properties?.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {});
      const env = Object.fromEntries(Object.entries(vars).filter(([k]) => k !== 'NODE_OPTIONS').map(([k, v]) => [k, looseValue(v, types)]));
      envs.set(entry, env);
      const flags = typeof vars.NODE_OPTIONS === 'string' ? vars.NODE_OPTIONS.split(/\s+/).filter(Boolean) : [];
      const plain = Array.from({ length: INIT_RUNS }, () => initOnce(bundle, env));
      const withFlags = flags.length > 0 ? Array.from({ length: INIT_RUNS }, () => initOnce(bundle, env, flags)) : [];
      const ok = (rs: Array<Init | { error: string }>) => rs.filter((r): r is Init => !('error' in r));
      const failure = [...plain, ...withFlags].find((r): r is { error: string } => 'error' in r);
      const map = existsSync(`${bundle}.map`) ? statSync(`${bundle}.map`).size : 0;
      rows.push([
        entry,
        kb(statSync(bundle).size),
        map ? kb(map) : '-',
        String(x.Properties?.MemorySize ?? 128),
        ms(percentile(ok(plain).map((i) => i.importMs), 50)),
        ms(percentile(ok(plain).map((i) => i.importCpuMs), 50)),
        withFlags.length > 0 ? ms(percentile(ok(withFlags).map((i) => i.importMs), 50)) : '-',
        withFlags.length > 0 ? ms(percentile(ok(withFlags).map((i) => i.importCpuMs), 50)) : '-',
        withFlags.length > 0 ? ms(percentile(ok(withFlags).map((i) => i.sinceStartMs), 50)) : ms(percentile(ok(plain).map((i) => i.sinceStartMs), 50)),
        failure ? `init failed: ${failure.error}` : `${id}`,
      ]);
    }
    const table: Table = {
      title: 'Lambda bundles as synthesized (cdk.out assets of `cdk synth`, template environment)',
      head: ['entry', 'index.mjs', 'source map', 'memory MB', 'import p50 ms', 'import CPU p50 ms', 'import p50 ms, template NODE_OPTIONS', 'import CPU p50 ms, template NODE_OPTIONS', 'process start → ready p50 ms (as deployed)', 'function'],
      rows,
      notes: [
        `The asset each AWS::Lambda::Function names in cdk.out, imported in a fresh \`node\` process (${INIT_RUNS} per column) with its template environment (intrinsics stood in for by values of the same shape).`,
        'The template sets NODE_OPTIONS=--enable-source-maps; the "template NODE_OPTIONS" columns import with it, as Lambda starts the function.',
        'CPU = user + system time of the import in the child (process.cpuUsage); wall times grow with the machine\'s load, CPU times much less.',
        'Locally on x86_64 Node 20 (the functions run Node 22 on arm64); Lambda adds its own runtime start and the zip download.',
      ],
    };
    return { table, envs };
  } finally {
    out.remove();
  }
}

