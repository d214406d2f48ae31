import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { kb, ms, percentile, skipped, tempDir, type BenchPart, type PartResult } from './harness.js';

/**
 * Lambda bundle sizes and cold module-init time. Each `functions/handlers/*.ts`
 * is bundled the way the stack bundles it (lib/constructs/copr-function.ts: ESM,
 * minified, CommonJS require shim), here with target node20 and every
 * dependency, `@aws-sdk/*` included, inside the bundle. Init time is measured by
 * importing the bundle in a fresh `node` process, several times.
 */
const HANDLERS = fileURLToPath(new URL('../functions/handlers/', import.meta.url));
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

function initOnce(file: string): { importMs: number; sinceStartMs: number } {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE, pathToFileURL(file).href], {
    encoding: 'utf8',
    // What a Lambda function gets besides its own settings; nothing reaches the network at init.
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', TABLE_NAME: 'copr', AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeout: 30_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { importMs: number; sinceStartMs: number };
}

export const lambdaBundlesPart: BenchPart = {
  name: 'lambda-bundles',
  title: 'Lambda bundle size and module init time',
  async run(): Promise<PartResult> {
    const entries = readdirSync(HANDLERS).filter((f) => f.endsWith('.ts')).sort();
    if (entries.length === 0) return skipped('no functions/handlers/*.ts');
    const out = tempDir('bundles');
    try {
      const rows = [];
      for (const entry of entries) {
        const source = readFileSync(join(HANDLERS, entry), 'utf8');
        const outfile = join(out.path, entry.replace(/\.ts$/, '.mjs'));
        await build({
          entryPoints: [join(HANDLERS, entry)],
          outfile,
          bundle: true,
          format: 'esm',
          platform: 'node',
          target: 'node20',
          minify: true,
          banner: { js: REQUIRE_SHIM },
          logLevel: 'error',
        });
        const bytes = statSync(outfile).size;
        const zipped = gzipSync(readFileSync(outfile), { level: 9 }).length;
        const inits = Array.from({ length: INIT_RUNS }, () => initOnce(outfile));
        const note = /placeholder/i.test(source.split('\n')[0] ?? '') ? 'placeholder source' : '';
        rows.push([
          entry,
          kb(bytes),
          kb(zipped),
          bytes < BUDGET ? 'yes' : 'NO',
          ms(percentile(inits.map((i) => i.importMs), 50)),
          ms(percentile(inits.map((i) => i.sinceStartMs), 50)),
          note,
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
