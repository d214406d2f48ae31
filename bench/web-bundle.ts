#!/usr/bin/env -S npx tsx
/**
 * Dashboard bundle size: builds web/dist when missing or stale (scripts/build-web.sh),
 * then prints raw and gzipped sizes of every JS and CSS asset and the JS total, the
 * number to keep under 200 kB gzipped. Run: npx tsx bench/web-bundle.ts
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = new URL('..', import.meta.url).pathname;
const ASSETS = join(ROOT, 'web/dist/assets');
const BUDGET_GZIP_JS = 200 * 1024;

execFileSync('bash', [join(ROOT, 'scripts/build-web.sh')], { stdio: 'inherit' });

const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
let jsRaw = 0;
let jsGzip = 0;
for (const name of readdirSync(ASSETS).sort()) {
  if (!/\.(js|css)$/.test(name)) continue;
  const body = readFileSync(join(ASSETS, name));
  const gz = gzipSync(body, { level: 9 }).length;
  if (name.endsWith('.js')) {
    jsRaw += body.length;
    jsGzip += gz;
  }
  console.log(`${name.padEnd(32)} raw ${kb(body.length).padStart(9)}  gzip ${kb(gz).padStart(8)}`);
}
console.log(`JS total                         raw ${kb(jsRaw).padStart(9)}  gzip ${kb(jsGzip).padStart(8)}  (budget ${kb(BUDGET_GZIP_JS)} gzip)`);
if (jsGzip > BUDGET_GZIP_JS) {
  console.error('web-bundle: JS over budget');
  process.exitCode = 1;
}
