import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_HANDLERS, repoPath } from '../lib/handlers.js';
import { kb, ms, percentile, skipped, tempDir, type BenchPart, type PartResult } from './harness.js';

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
const t0 = performance.now();
const m = await import(process.argv[1]);
const t1 = performance.now();
if (typeof m.handler !== 'function') { console.error('no exported handler'); process.exit(3); }
console.log(JSON.stringify({ importMs: t1 - t0, sinceStartMs: t1 }));
`;

interface Init {
  importMs: number;
  sinceStartMs: number;
}

function initOnce(file: string): Init | { error: string } {
  try {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE, pathToFileURL(file).href], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // What a Lambda function gets besides its own settings; nothing reaches the network at init.
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', TABLE_NAME: 'copr', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
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
        const results = Array.from({ length: INIT_RUNS }, () => initOnce(outfile));
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
          ms(percentile(inits.map((i) => i.sinceStartMs), 50)),
          notes.filter(Boolean).join('; '),
        ]);
      }
      return {
        tables: [
          {
            title: `Lambda bundles (esbuild ESM, minify, platform node, target node20, @aws-sdk bundled)`,
            head: ['handler', 'minified', 'gzip', '< 1 MB', 'import p50 ms', 'process start → ready p50 ms', 'note'],
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
