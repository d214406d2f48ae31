import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referencedFiles } from '../../functions/publish/repodata-swap.js';
import { availableNames, makeSrpm, repoPackages, startDnfEnv, uploadBuild, waitFor, waitForBuild, type DnfEnv } from './dnf-support.js';

/**
 * 20 builds of one project through the real pipeline (8 builders), finishing close
 * together: one consistent repository with all 20 packages, published by fewer than
 * 20 createrepo_c runs (the publisher batches requests per repository). createrepo_c
 * runs are counted by a wrapper first on PATH that logs and execs the real tool.
 */
let env: DnfEnv;
let log: string;
const savedPath = process.env.PATH;

beforeAll(async () => {
  const bin = await mkdtemp(join(tmpdir(), 'copr-createrepo-count-'));
  log = join(bin, 'runs.log');
  await writeFile(log, '');
  await writeFile(join(bin, 'createrepo_c'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec /usr/bin/createrepo_c "$@"\n`);
  await chmod(join(bin, 'createrepo_c'), 0o755);
  process.env.PATH = `${bin}:${savedPath}`;
  env = await startDnfEnv({ maxBuilders: 8 });
}, 60_000);

afterAll(async () => {
  process.env.PATH = savedPath;
  await env?.stop();
  if (log) await rm(join(log, '..'), { recursive: true, force: true });
});

describe('20 builds of one project at once', () => {
  it('one consistent repository with all 20 packages, fewer than 20 createrepo_c runs', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `many${String(i + 1).padStart(2, '0')}`);
    const srpmDir = join(env.work, 'srpms');
    await mkdir(srpmDir, { recursive: true });
    const srpms: string[] = [];
    for (const n of names) srpms.push(await makeSrpm(srpmDir, n));
    const ids = await Promise.all(srpms.map((s) => uploadBuild(env.alice, 'alice', 'demo', s)));
    const states = await Promise.all(ids.map((id) => waitForBuild(env.alice, id, 80_000)));
    expect(states).toEqual(names.map(() => 'succeeded'));
    const repodata = env.repodata('demo');
    const expected = names.flatMap((n) => [`${n}-1.0-1.fc44.noarch.rpm`, `${n}-1.0-1.fc44.src.rpm`]).sort();
    // A build reads as succeeded a moment before its publish request is queued.
    await waitFor('all packages in the repository', async () => (await repoPackages(repodata)).length >= expected.length, 20_000).catch(() => undefined);
    await env.sys.publisher.idle();

    expect(await repoPackages(repodata)).toEqual(expected);
    for (const f of referencedFiles(await readFile(join(repodata, 'repomd.xml'), 'utf8'))) {
      await expect(readFile(join(repodata, f))).resolves.toBeInstanceOf(Buffer);
    }
    const runs = (await readFile(log, 'utf8')).split('\n').filter((l) => l.includes(`/alice/demo/${env.chroot}`));
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.length).toBeLessThan(20);

    const reposdir = await env.reposdirFor('demo');
    expect(await availableNames(env.dnf, reposdir)).toEqual(names.flatMap((n) => [`${n}-1.0-noarch`, `${n}-1.0-src`]).sort());
  }, 100_000);
});
