/**
 * `npm run rehearse`: the cloud rehearsal, end to end. The stack as `cdk synth`
 * writes it, deployed into moto / DynamoDB Local / fauxqs, its Lambda bundles run
 * with their template environment, every AWS call checked against the caller's role,
 * builders booted from user data and the publisher run as its task definition says,
 * driven by the real copr-cli and dnf through the CloudFront and API Gateway
 * stand-ins. Prints what stood in for every resource type and a summary; exits
 * non-zero on any failed step, wiring defect or IAM denial.
 */
import { mkdtempSync, readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, newUser } from '../web/browser.js';
import { CoprCli, coprHubConfig, dnf, makeSrpm } from './clients.js';
import { HostedLogin } from './hosted-login.js';
import { expiryRules } from './lifecycle.js';
import { REGION } from './cfn.js';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
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
      await step('publish (SQS FIFO → PublishTrigger → ECS RunTask → publisher), dnf copr enable through the CDN and dnf install with gpgcheck=1', async () => {
        // A Copr hub in the plugin's copr.d, as a user of a second Copr instance configures it.
        const hub = await coprHubConfig(join(work, 'dnf-plugins'), 'rehearsal-aws', web);
        const enable = await dnf(work, 'enable', reposdir, ['copr', 'enable', `rehearsal-aws/alice/demo`, chroot], hub);
        const repoFiles = readdirSync(reposdir);
        if (!enable.ok || repoFiles.length !== 1) throw new Error(`dnf copr enable: ${enable.out.slice(-1500)}\nrepo files: ${repoFiles.join(', ')}`);
        const text = readFileSync(join(reposdir, repoFiles[0] ?? ''), 'utf8');
        const results = r.results().url;
        if (!/^gpgcheck\s*=\s*1/m.test(text) || !text.includes(`baseurl=${results}/alice/demo/`) || !text.includes(`gpgkey=${results}/alice/demo/pubkey.gpg`)) {
          throw new Error(`the .repo file dnf copr enable wrote does not name the results CDN with gpgcheck=1:\n${text}`);
        }
        // Copr's repo file says skip_if_unavailable=True: a missing or badly signed repository must fail here instead.
        const strict = ['--setopt=*.skip_if_unavailable=False'];
        let last = '';
        // A publish uploads repomd.xml and repomd.xml.asc one after the other, so a dnf run
        // between the two sees a mismatched pair, as it can against Copr's disks; a bad
        // signature that is still there three tries later is the repository's own.
        let badSignatures = 0;
        return until('rehearsal-hello installable', async () => {
          const res = await dnf(work, `install-${Date.now()}`, reposdir, ['install', 'rehearsal-hello'], strict);
          if (res.ok) return res.out.split('\n').filter((l) => /Installed|Complete|Importing GPG/i.test(l)).join(' | ');
          last = res.out;
          const badSignature = /GPG|signature|not signed/i.test(res.out) && !/Cannot download|\b404\b|No match/i.test(res.out);
          badSignatures = badSignature ? badSignatures + 1 : 0;
          if (badSignatures >= 3) throw new Error(res.out.slice(-1500));
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

    const slow = await makeSrpm(work, 'rehearsal-slow', { progressSeconds: 45 });
    await step('a running build\'s live log, fetched through the results CDN and followed in the dashboard', async () => {
      const id = await submit(cli, slow);
      const started = await until(`build ${id} running in ${chroot}`, async () => {
        const c = await buildChroot(web, id, chroot);
        return c.state === 'running' && c.result_url ? c : null;
      }, 8 * 60_000);
      const logUrl = `${started.result_url}builder-live.log`;
      // What `curl` of the log URL shows while the builder works: the lines so far, never an edge copy.
      const first = await until('progress lines in builder-live.log', async () => {
        const res = await fetch(logUrl);
        const text = res.ok ? await res.text() : '';
        return /rehearsal-slow progress \d+/.test(text) ? { text, headers: res.headers } : null;
      }, 3 * 60_000);
      if (first.headers.get('x-rehearsal-behaviour') !== '*/builder-live.log*' || first.headers.get('x-rehearsal-edge-ttl') !== '0') {
        throw new Error(`the live log is served by behaviour ${first.headers.get('x-rehearsal-behaviour')} with edge TTL ${first.headers.get('x-rehearsal-edge-ttl')}`);
      }
      if ((await buildChroot(web, id, chroot)).state !== 'running') throw new Error('the build had ended before its live log showed progress');
      const page = alice.page;
      await page.goto(`/coprs/alice/demo/build/${id}/`);
      await page.getByRole('row', { name: /fedora-44-x86_64/ }).getByRole('button', { name: 'view log here' }).click({ timeout: 60_000 });
      const log = page.getByTestId('live-log');
      await log.filter({ hasText: /rehearsal-slow progress \d+/ }).waitFor({ timeout: 60_000 });
      const seen = lastProgress(await log.innerText());
      const live = await page.getByRole('heading', { name: /Log: fedora-44-x86_64/ }).innerText();
      if (!/live/.test(live)) throw new Error(`the dashboard does not follow the log as live: "${live}"`);
      // The dashboard re-reads the log: a later line appears without reloading the page.
      await until('a later progress line in the dashboard', async () => lastProgress(await log.innerText()) > seen, 90_000);
      if ((await buildChroot(web, id, chroot)).state !== 'running') throw new Error('the build had ended before the dashboard showed a later line: not followed live');
      const state = await until(`build ${id}`, async () => {
        const st = await buildState(cli, id);
        return ['succeeded', 'failed', 'canceled'].includes(st) ? st : null;
      }, 4 * 60_000);
      if (state !== 'succeeded') throw new Error(`build ${id} ended ${state}`);
      return `curl saw line ${lastProgress(first.text)} while running; the dashboard followed from line ${seen}`;
    }, (t) => t);

    await step('CDN TTLs: live log uncached, RPMs and repodata revalidated, listings short, finished files and dashboard assets long', async () => {
      const results = r.results().url;
      const chrootDir = `${results}/alice/demo/${chroot}/`;
      const listing = await (await fetch(chrootDir)).text();
      const buildDir = /href="(\d+-rehearsal-hello\/)"/.exec(listing)?.[1];
      if (!buildDir) throw new Error(`the chroot listing names no rehearsal-hello build:\n${listing.slice(0, 600)}`);
      const files = await (await fetch(`${chrootDir}${buildDir}`)).text();
      const rpm = /href="([^"]+\.noarch\.rpm)"/.exec(files)?.[1];
      const hrefs = [...files.matchAll(/href="([^"]+)"/g)].map((m) => m[1] ?? '');
      const liveLog = hrefs.find((h) => h.startsWith('builder-live.log'));
      // A finished build's other files (build.log.gz, success, …) never change again.
      const finished = hrefs.find((h) => !h.endsWith('/') && !h.endsWith('.rpm') && !h.startsWith('builder-live.log'));
      const index = await (await fetch(`${web}/`)).text();
      const asset = /(?:src|href)="(\/assets\/[^"]+\.js)"/.exec(index)?.[1];
      if (!rpm || !finished || !liveLog || !asset) throw new Error(`missing rpm (${rpm}), live log (${liveLog}), finished file (${finished}) or dashboard asset (${asset}) in:\n${hrefs.join(' ')}`);
      const expect: Array<[string, (ttl: number) => boolean, string]> = [
        [`${chrootDir}${buildDir}${liveLog}`, (t) => t === 0, 'uncached'],
        [`${chrootDir}repodata/repomd.xml`, (t) => t <= 5, 'at most 5 s'],
        [`${chrootDir}${buildDir}${rpm}`, (t) => t <= 5, 'at most 5 s (re-signed in place)'],
        [chrootDir, (t) => t <= 30, 'at most 30 s'],
        [`${chrootDir}${buildDir}${finished}`, (t) => t >= 86_400, 'a day or more'],
        [`${web}${asset}`, (t) => t >= 86_400, 'a day or more'],
        [`${web}/api_3/`, (t) => t === 0, 'uncached'],
      ];
      const seen: string[] = [];
      for (const [url, ok, want] of expect) {
        const res = await fetch(url);
        await res.arrayBuffer();
        const ttl = Number(res.headers.get('x-rehearsal-edge-ttl') ?? NaN);
        const path = new URL(url).pathname;
        if (res.status !== 200 || !ok(ttl)) throw new Error(`${path} (behaviour ${res.headers.get('x-rehearsal-behaviour')}): status ${res.status}, edge TTL ${ttl}, want ${want}`);
        seen.push(`${path.replace(/^.*\//, '') || path}=${ttl}s`);
      }
      // The dashboard's index.html and config.json sit under the long default TTL; a deploy must invalidate them.
      const deployments = Object.values(r.deployment.template.Resources).filter((x) => x.Type === 'Custom::CDKBucketDeployment');
      if (!deployments.some((x) => JSON.stringify(x.Properties?.DistributionPaths ?? []).includes('/*'))) throw new Error('the dashboard deployment invalidates nothing: index.html and config.json would stay a day at the edges');
      return seen.join(', ');
    }, (t) => t);

    // Long enough for several heartbeats (20 s), which ship the live log: the step must see
    // progress while the build runs, before it loses the builder.
    const lost = await makeSrpm(work, 'rehearsal-lost', { progressSeconds: 75 });
    await step('a builder instance is lost mid-build: the reaper (fired 6 min later) requeues, a new instance builds, the publish follows', async () => {
      const id = await submit(cli, lost);
      await until(`build ${id} running with progress in its live log`, async () => {
        const c = await buildChroot(web, id, chroot);
        if (c.state !== 'running' || !c.result_url) return null;
        const res = await fetch(`${c.result_url}builder-live.log`);
        return res.ok && /rehearsal-lost progress \d+/.test(await res.text());
      }, 8 * 60_000);
      const compute = r.compute;
      if (!compute) throw new Error('no compute');
      // Every builder running now is lost at once (the one building this task among them).
      const running = compute.instances.filter((i) => i.exit === null);
      if (running.length === 0) throw new Error('no running builder to lose');
      for (const i of running) compute.lose(i.instanceId);
      const reaperRule = Object.entries(r.deployment.template.Resources).find(([, x]) => x.Type === 'AWS::Events::Rule' && JSON.stringify(x.Properties?.Targets ?? []).includes('Reaper'))?.[0];
      if (!reaperRule) throw new Error('no schedule targets the reaper');
      // The heartbeat timeout is 5 minutes: the schedule fires 6 minutes later, as far as the reaper can tell.
      const [reaped] = (await r.fireSchedule(reaperRule, { clockOffsetMs: 6 * 60_000 })) as Array<{ requeued?: string[]; failed?: string[] }>;
      const taskId = reaped?.requeued?.find((t) => t.startsWith(`${id}-`) && t.endsWith(chroot));
      if (!taskId) throw new Error(`the reaper did not requeue build ${id}'s ${chroot} task: ${JSON.stringify(reaped)}`);
      const state = await until(`build ${id}`, async () => {
        const st = await buildState(cli, id);
        return ['succeeded', 'failed', 'canceled'].includes(st) ? st : null;
      }, 8 * 60_000);
      if (state !== 'succeeded') throw new Error(`build ${id} ended ${state} after the requeue`);
      const after = compute.instances.filter((i) => !running.includes(i));
      if (after.length === 0) throw new Error('no instance was launched after the loss');
      const reposdir = join(work, 'repos');
      let last = '';
      await until('rehearsal-lost installable', async () => {
        const res = await dnf(work, `lost-${Date.now()}`, reposdir, ['install', 'rehearsal-lost'], ['--setopt=*.skip_if_unavailable=False']);
        last = res.out;
        return res.ok;
      }, 4 * 60_000).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; last dnf answer:\n${last.slice(-1200)}`);
      });
      return `task ${taskId} requeued after losing ${running.map((i) => i.instanceId).join(', ')}; ${after.length} new instance(s); installed with dnf`;
    }, (t) => t);

    await step('every SRPM uploaded in this rehearsal lies under an expiring lifecycle rule of its bucket', async () => {
      const rules = expiryRules(r.deployment.template, r.deployment.resolver);
      const s3 = new S3Client({ endpoint: r.emu.fauxqs, region: REGION, forcePathStyle: true, credentials: { accessKeyId: 'RehearsalInspector', secretAccessKey: 'x' } });
      try {
        const uploaded: string[] = [];
        for (const bucket of new Set(rules.map((x) => x.bucket))) {
          for (let token: string | undefined, more = true; more; ) {
            const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
            // The SRPMs copr-cli sent, as stored by the API (not the builders' results under the owner's directory).
            for (const o of page.Contents ?? []) if (o.Key?.endsWith('.src.rpm') && !o.Key.startsWith('alice/')) uploaded.push(`${bucket}/${o.Key}`);
            token = page.NextContinuationToken;
            more = Boolean(page.IsTruncated && token);
          }
        }
        if (uploaded.length === 0) throw new Error(`no uploaded SRPM found in the buckets with expiring rules (${rules.map((x) => `${x.bucket}/${x.prefix}`).join(', ')})`);
        const kept = uploaded.filter((k) => !rules.some((x) => k.startsWith(`${x.bucket}/${x.prefix}`)));
        if (kept.length > 0) throw new Error(`uploaded SRPMs no rule expires: ${kept.join(', ')}`);
        const rule = rules.find((x) => uploaded[0]?.startsWith(`${x.bucket}/${x.prefix}`));
        return `${uploaded.length} uploads under ${rule?.prefix}, expiring after ${rule?.days} days`;
      } finally {
        s3.destroy();
      }
    }, (t) => t);

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

async function submit(cli: CoprCli, srpm: string): Promise<number> {
  const res = await cli.run(['build', '--nowait', 'demo', srpm]);
  const id = Number(/Created builds:\s*(\d+)/.exec(res.out)?.[1] ?? NaN);
  if (!res.ok || Number.isNaN(id)) throw new Error(res.out);
  return id;
}

/** The chroot of a build as the API shows it (anonymous, through the web CDN). */
async function buildChroot(web: string, id: number, chroot: string): Promise<{ state: string; result_url: string | null }> {
  const res = await fetch(`${web}/api_3/build-chroot/${id}/${chroot}`);
  if (res.status === 404) return { state: 'none', result_url: null };
  const body = (await res.json()) as { state?: string; result_url?: string | null };
  return { state: body.state ?? 'unknown', result_url: body.result_url ?? null };
}

/** The highest "progress N" line of a log. */
function lastProgress(text: string): number {
  return Math.max(0, ...[...text.matchAll(/progress (\d+)/g)].map((m) => Number(m[1])));
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

