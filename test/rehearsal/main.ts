/**
 * `npm run rehearse`: the cloud rehearsal, end to end. The stack as `cdk synth`
 * writes it, deployed into moto / DynamoDB Local / fauxqs, its Lambda bundles run
 * with their template environment, every AWS call checked against the caller's role,
 * builders booted from user data and the publisher run as its task definition says,
 * driven by the real copr-cli and dnf through the CloudFront and API Gateway
 * stand-ins. Prints what stood in for every resource type and a summary; exits
 * non-zero on any failed step, wiring defect or IAM denial.
 */
import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, newUser } from '../web/browser.js';
import { CoprCli, dnf, makeSrpm } from './clients.js';
import { HostedLogin } from './hosted-login.js';
import { synth, up, type Rehearsal } from './stack.js';

interface Step {
  readonly name: string;
  ok: boolean;
  detail: string;
  seconds: number;
}

// The SDK's Node 20 notice would interleave with the step lines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const steps: Step[] = [];
const started = Date.now();

async function step<T>(name: string, fn: () => Promise<T>, describe: (v: T) => string = () => ''): Promise<T | null> {
  const t0 = Date.now();
  process.stdout.write(`• ${name} … `);
  try {
    const v = await fn();
    const s: Step = { name, ok: true, detail: describe(v), seconds: (Date.now() - t0) / 1000 };
    steps.push(s);
    console.log(`ok (${s.seconds.toFixed(1)} s)${s.detail ? ` ${s.detail}` : ''}`);
    return v;
  } catch (err) {
    const s: Step = { name, ok: false, detail: (err as Error).message, seconds: (Date.now() - t0) / 1000 };
    steps.push(s);
    console.log(`FAILED (${s.seconds.toFixed(1)} s)\n    ${s.detail.split('\n').join('\n    ')}`);
    return null;
  }
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function buildState(cli: CoprCli, id: number): Promise<string> {
  const r = await cli.run(['status', String(id)]);
  return r.out.trim().split('\n').pop() ?? '';
}

async function main(): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'copr-rehearse-flow-'));
  const synthOut = await step('cdk synth (the project\'s app, offline, local esbuild)', () => synth(), (s) => s.cdkOut);
  if (!synthOut) return summary(null);
  const r = await step('deploy the template into the emulators and start the stand-ins', () => up({ synthOutput: synthOut, compute: true }));
  if (!r) return summary(null);
  // An interrupted rehearsal still stops the emulators and processes it started.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void r.down().finally(() => process.exit(130));
    });
  }
  const closers: Array<() => Promise<void>> = [];
  try {
    console.log('\nResources of the template and what stands in for each type:');
    for (const line of r.listing) console.log(`  ${line}`);
    console.log(`  builder agent: ${r.agent?.source ?? 'none'}\n`);
    const web = r.web().url;

    await step('operator makes the first admin (bootstrap function, make-admin)', async () => {
      const fn = r.lambdas.functions.find((f) => f.entry.endsWith('bootstrap.ts'));
      if (!fn) throw new Error('the stack has no bootstrap function: no way to the first admin');
      const out = (await r.lambdas.invoke(fn.logicalId, { action: 'make-admin', username: 'admin' })) as { ok?: boolean; copr_cli_config?: string };
      if (!out.ok || !out.copr_cli_config?.includes(web)) throw new Error(`make-admin answered ${JSON.stringify(out).slice(0, 300)}`);
      return out;
    });

    // One browser for the whole flow; alice's context keeps her dashboard session.
    const browser = await launchBrowser();
    closers.push(() => browser.close());
    const hosted = HostedLogin.forRehearsal(r);
    await hosted.listen();
    closers.push(() => hosted.stop());
    const alice = await step(`alice signs in from the dashboard through the hosted login (${hosted.domain}, moto's user pool)`, async () => {
      await hosted.addUser('alice', 'Rehearsal-Passw0rd!');
      const user = await newUser(browser, web);
      await hosted.attach(user.context);
      await user.page.goto('/');
      await user.page.getByRole('button', { name: 'Log in' }).click();
      await user.page.waitForURL((u) => u.host === hosted.domain && u.pathname === '/oauth2/authorize', { timeout: 30_000 });
      await user.page.getByLabel('Username').fill('alice');
      await user.page.getByLabel('Password').fill('Rehearsal-Passw0rd!');
      await user.page.getByRole('button', { name: 'Sign in' }).click();
      try {
        await user.page.getByTestId('whoami').filter({ hasText: 'alice' }).waitFor({ timeout: 30_000 });
      } catch (err) {
        throw new Error(`${(err as Error).message.split('\n')[0]}\nat ${user.page.url()}\nhosted login refused: ${hosted.refusals.join('; ')}\nbrowser: ${[...user.problems, ...user.failedRequests].join('; ')}`);
      }
      if (hosted.refusals.length > 0) throw new Error(`hosted login refused: ${hosted.refusals.join('; ')}`);
      return user;
    }, () => 'signed in (code + PKCE, ID token from the token endpoint)');
    if (!alice) return summary(r);

    const cli = await step('alice takes her ~/.config/copr from the dashboard\'s API page and copr-cli uses it', async () => {
      await alice.page.goto('/api/');
      await alice.page.getByRole('button', { name: 'Generate API token' }).click();
      const text = await alice.page.getByLabel('copr-cli configuration').innerText({ timeout: 30_000 });
      if (!/^token = \S+/m.test(text) || !/^login = \S+/m.test(text)) throw new Error(`the API page shows no token:\n${text}`);
      const c = await CoprCli.fromConfigText(join(work, 'cli'), text);
      const who = await c.run(['whoami']);
      if (!who.ok || who.out.trim() !== 'alice') throw new Error(`copr-cli whoami answered: ${who.out}`);
      return c;
    }, () => 'copr-cli whoami: alice');
    if (!cli) return summary(r);

    const chroot = 'fedora-44-x86_64';
    const created = await step(`copr-cli create alice/demo --chroot ${chroot}`, async () => {
      const res = await cli.run(['create', 'demo', '--chroot', chroot]);
      if (!res.ok) throw new Error(res.out);
      return res.out.trim();
    }, (o) => o);
    if (!created) return summary(r);

    const srpm = await makeSrpm(work, 'rehearsal-hello');
    const buildId = await step('copr-cli build alice/demo rehearsal-hello.src.rpm (SRPM upload)', async () => {
      const res = await cli.run(['build', '--nowait', 'demo', srpm]);
      const id = /Created builds:\s*(\d+)/.exec(res.out)?.[1];
      if (!res.ok || !id) throw new Error(res.out);
      return Number(id);
    }, (id) => `build ${id}`);
    if (buildId === null) return summary(r);

    const state = await step('dispatcher → RunInstances → instance boots the agent → build succeeds', () =>
      until(`build ${buildId}`, async () => {
        const s = await buildState(cli, buildId);
        return ['succeeded', 'failed', 'canceled'].includes(s) ? s : null;
      }, 8 * 60_000).then((s) => {
        if (s !== 'succeeded') throw new Error(`build ${buildId} ended ${s}`);
        return s;
      }),
    );

    if (state) {
      const reposdir = join(work, 'repos');
      mkdirSync(reposdir, { recursive: true });
      await step('publish (SQS FIFO → PublishTrigger → ECS RunTask → publisher) and dnf install with gpgcheck=1', async () => {
        const repoUrl = `${web}/coprs/alice/demo/repo/fedora-44/alice-demo-fedora-44.repo`;
        const repo = await fetch(repoUrl);
        const text = await repo.text();
        if (repo.status !== 200) throw new Error(`${repoUrl} answered ${repo.status}: ${text.slice(0, 200)}`);
        if (!/gpgcheck\s*=\s*1/.test(text)) throw new Error(`the .repo file does not ask for gpgcheck=1:\n${text}`);
        writeFileSync(join(reposdir, 'alice-demo.repo'), text);
        let last = '';
        return until('rehearsal-hello installable', async () => {
          const res = await dnf(work, `install-${Date.now()}`, reposdir, ['install', 'rehearsal-hello']);
          if (res.ok) return res.out.split('\n').filter((l) => /Installed|Complete|Importing GPG/i.test(l)).join(' | ');
          last = res.out;
          if (/GPG|signature|not signed/i.test(res.out) && !/Cannot download|404|No match/i.test(res.out)) throw new Error(res.out.slice(-1500));
          return null;
        }, 4 * 60_000).catch((err: unknown) => {
          throw new Error(`${(err as Error).message}; last dnf answer:\n${last.slice(-1500)}`);
        });
      }, (o) => o);
    }

    const failing = await makeSrpm(work, 'rehearsal-broken', { fail: true });
    const failedId = await step('a failing build ends failed', async () => {
      const res = await cli.run(['build', '--nowait', 'demo', failing]);
      const id = Number(/Created builds:\s*(\d+)/.exec(res.out)?.[1] ?? NaN);
      if (!res.ok || Number.isNaN(id)) throw new Error(res.out);
      const s = await until(`build ${id}`, async () => {
        const st = await buildState(cli, id);
        return ['succeeded', 'failed', 'canceled'].includes(st) ? st : null;
      }, 8 * 60_000);
      if (s !== 'failed') throw new Error(`build ${id} ended ${s}`);
      return id;
    }, (id) => `build ${id}`);
    if (failedId !== null) {
      await step('copr-cli download-build of the failed build (wget -r over the results CDN listings)', async () => {
        const dest = join(work, 'download');
        const res = await cli.run(['download-build', '--dest', dest, String(failedId)]);
        const files = listFiles(dest);
        if (!res.ok || !files.some((f) => /builder-live\.log/.test(f))) throw new Error(`download-build got [${files.join(', ')}]\n${res.out.slice(-1500)}`);
        return files;
      }, (f) => `${f.length} files`);
    }

    if (failedId !== null) {
      await step('Chromium opens the build page copr-cli links to and reads the build log from the results CDN', async () => {
        const user = await newUser(browser, web);
        try {
          await user.page.goto(`/coprs/alice/demo/build/${failedId}/`);
          await user.page.getByRole('row', { name: /fedora-44-x86_64/ }).getByRole('button', { name: 'view log here' }).click({ timeout: 30_000 });
          try {
            await user.page.getByTestId('live-log').filter({ hasText: 'this build fails on purpose' }).waitFor({ timeout: 60_000 });
          } catch (err) {
            const shown = await user.page.getByTestId('live-log').innerText().catch(() => '');
            throw new Error(`${(err as Error).message.split('\n')[0]}\npage: ${shown.slice(0, 600)}\nfailed requests: ${user.failedRequests.join(', ')}\nproblems: ${user.problems.join('; ')}`);
          }
          const cors = user.failedRequests.filter((f) => !f.includes('builder-live.log'));
          if (user.problems.length > 0 || cors.length > 0) throw new Error(`browser problems: ${[...user.problems, ...cors].join('; ')}`);
          return 'log shown';
        } finally {
          await user.context.close();
        }
      }, (t) => t);
    }

    await step('scheduled rules fire (reaper, maintenance) with their roles', async () => {
      const rules = Object.entries(r.deployment.template.Resources).filter(([, x]) => x.Type === 'AWS::Events::Rule' && x.Properties?.ScheduleExpression);
      for (const [id] of rules) await r.fireSchedule(id);
      return rules.length;
    }, (n) => `${n} rules`);

    await step('copr-cli build of a 5 MB SRPM gets Copr\'s answer about the upload limit, not API Gateway\'s', async () => {
      const big = await makeSrpm(work, 'rehearsal-big', { padBytes: 5 * 1024 * 1024 });
      const res = await cli.run(['build', '--nowait', 'demo', big]);
      if (res.ok) return 'accepted';
      if (res.out.includes('Request Entity Too Large') || !/MiB/.test(res.out)) throw new Error(res.out.slice(-800));
      return res.out.trim().split('\n').pop() ?? '';
    }, (t) => t.slice(0, 160));

    await step('API Gateway stand-in enforces the 10 MB payload limit with its own answer', async () => {
      const res = await fetch(`${r.api.url}/api_3/build/create/upload`, { method: 'POST', body: Buffer.alloc(11 * 1024 * 1024), headers: { 'content-type': 'application/octet-stream' } });
      const text = await res.text();
      if (res.status !== 413) throw new Error(`answered ${res.status} ${text.slice(0, 200)}`);
      return text;
    }, (t) => t);
    return summary(r);
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await r.down();
  }
}

function listFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
  } catch {
    return [];
  }
}

function summary(r: Rehearsal | null): number {
  console.log('\n================ cloud rehearsal summary ================');
  for (const s of steps) console.log(`${s.ok ? 'PASS' : 'FAIL'}  ${s.name} (${s.seconds.toFixed(1)} s)`);
  let failures = steps.filter((s) => !s.ok).length;
  if (r) {
    const byPrincipal = new Map<string, { allowed: number; denied: number }>();
    for (const v of r.iam.verdicts) {
      const e = byPrincipal.get(v.principal.label) ?? { allowed: 0, denied: 0 };
      if (v.result === 'Allowed') e.allowed++;
      else e.denied++;
      byPrincipal.set(v.principal.label, e);
    }
    console.log('\nIAM checks (every AWS call, by caller role):');
    for (const [p, e] of [...byPrincipal].sort()) console.log(`  ${p}: ${e.allowed} allowed, ${e.denied} denied`);
    const denials = r.iam.denials();
    for (const d of denials) console.log(`  DENIED ${d.principal.label}: ${d.check.action} on ${d.check.resource}${d.check.onBehalf ? ` (${d.check.onBehalf})` : ''} → ${d.result}`);
    console.log(`\nFunction invocations: ${JSON.stringify(r.lambdas.invocations())}`);
    console.log(`SQS batches delivered: ${JSON.stringify(r.pollers?.batches ?? {})}`);
    console.log(`Instances booted: ${r.compute?.instances.length ?? 0}; publisher tasks run: ${r.compute?.tasks.size ?? 0}`);
    const problems = [
      ...r.defects.map((d) => `wiring defect: ${d}`),
      ...(r.pollers?.errors ?? []).map((e) => `event source: ${e}`),
      ...(r.compute?.errors ?? []).map((e) => `compute: ${e}`),
      ...r.api.log.map((e) => `API Gateway stand-in: ${e}`),
      ...[...r.cdns.values()].flatMap((c) => c.log.map((e) => `CloudFront stand-in ${c.logicalId}: ${e}`)),
      ...r.gateway.calls.filter((c) => c.denied.includes('unknown caller')).map((c) => `unsigned AWS call by ${c.principal}`),
    ];
    for (const p of problems) console.log(`PROBLEM ${p}`);
    failures += denials.length + r.defects.length + (r.compute?.errors.length ?? 0);
    console.log(`\nlogs of functions, builders and tasks: ${r.workDir}`);
  }
  console.log(`\n${steps.filter((s) => s.ok).length} passed, ${steps.filter((s) => !s.ok).length} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

