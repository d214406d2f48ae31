/**
 * `npm run bench`: runs every benchmark part in sequence on the real local stack
 * and prints its figures as Markdown tables. One part alone: `tsx bench/run.ts api`
 * (several: `tsx bench/run.ts api fairness`). Figures are printed, never asserted;
 * a part that cannot run here prints "skipped: <why>". A part that crashes prints
 * its error and the run goes on, then exits 1 so a broken benchmark is noticed.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { apiPart } from './api.js';
import { buildListPart } from './build-list.js';
import { dispatchLatencyPart } from './dispatch-latency.js';
import { e2eOverheadPart } from './e2e-overhead.js';
import { fairnessPart } from './fairness.js';
import { formatTable, type BenchPart } from './harness.js';
import { lambdaBundlesPart } from './lambda-bundles.js';
import { scaleSimPart } from './scale-sim.js';
import { publishPart } from './publish.js';
import { webBundlePart } from './web-bundle-part.js';

const PARTS: BenchPart[] = [apiPart, fairnessPart, dispatchLatencyPart, e2eOverheadPart, lambdaBundlesPart, webBundlePart];
PARTS.push(buildListPart);
PARTS.push(scaleSimPart);
PARTS.push(publishPart);

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !PARTS.some((p) => p.name === w));
  if (unknown.length > 0) {
    console.error(`unknown part(s): ${unknown.join(', ')}; parts: ${PARTS.map((p) => p.name).join(', ')}`);
    return 2;
  }
  const parts = wanted.length > 0 ? PARTS.filter((p) => wanted.includes(p.name)) : PARTS;
  const cpu = cpus();
  console.log(`# copr-serverless benchmarks`);
  console.log(`${new Date().toISOString()} · node ${process.version} · ${cpu.length} cores (${cpu[0]?.model ?? '?'}) · ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  console.log(`command: tsx bench/run.ts ${wanted.join(' ')}`.trimEnd());
  // Other work on the machine skews every figure; the load average says how much there was.
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const summary: Array<[string, string, string]> = [];
  let failed = false;
  for (const part of parts) {
    console.log(`\n## ${part.name}: ${part.title}\n`);
    const t0 = performance.now();
    let outcome: string;
    try {
      const result = await part.run();
      if (result.skipped) {
        console.log(`skipped: ${result.skipped}`);
        outcome = `skipped: ${result.skipped}`;
      } else {
        for (const table of result.tables) console.log(`${formatTable(table)}\n`);
        if (result.text) console.log(`\`\`\`\n${result.text.trimEnd()}\n\`\`\`\n`);
        outcome = 'ok';
      }
    } catch (err) {
      failed = true;
      outcome = `error: ${(err as Error).message.split('\n')[0]}`;
      console.log(`error: ${(err as Error).stack ?? String(err)}`);
    }
    summary.push([part.name, outcome, `${((performance.now() - t0) / 1000).toFixed(1)} s`]);
  }
  console.log(`\nload average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`\n${formatTable({ title: 'run summary', head: ['part', 'outcome', 'wall time'], rows: summary })}`);
  return failed ? 1 : 0;
}

// Exit explicitly: SDK clients keep sockets alive after the last part.
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
