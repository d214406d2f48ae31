import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startDnfEnv, type DnfEnv } from './dnf-support.js';

/**
 * The user's view, end to end: an SRPM uploaded like copr-cli does, built by the
 * local pipeline, published and signed, then consumed by Debian's real dnf through
 * OUR `.repo` file (gpgcheck=1, repo_gpgcheck=1) and through `dnf copr enable`.
 */
let env: DnfEnv;
let helloId: number;

beforeAll(async () => {
  env = await startDnfEnv();
  helloId = await env.buildAndPublish('hello-dnf');
}, 90_000);

afterAll(async () => {
  await env?.stop();
});

describe('dnf installs from our repositories', () => {
  it('installs and runs the package through our .repo file, with gpgcheck and repo_gpgcheck', async () => {
    const reposdir = await env.reposdirFor('demo');
    const repoFile = await readFile(join(reposdir, 'alice-demo.repo'), 'utf8');
    expect(repoFile).toMatch(/^gpgcheck=1$/m);
    expect(repoFile).toMatch(/^repo_gpgcheck=1$/m);
    const res = await env.dnf(reposdir, ['install', 'hello-dnf']);
    expect(res.ok, res.out).toBe(true);
    const { stdout } = await run('sh', [join(res.root, 'usr', 'bin', 'hello-dnf')]);
    expect(stdout.trim()).toBe('hello from hello-dnf');
  });

  it('refuses a tampered RPM and a tampered repomd.xml', async () => {
    const reposdir = await env.reposdirFor('demo');
    const dir = join(env.sys.results.root, 'alice', 'demo', env.chroot, `${String(helloId).padStart(8, '0')}-hello-dnf`);
    const rpm = join(dir, (await readdir(dir)).find((f) => f.endsWith('.noarch.rpm'))!);
    const good = await readFile(rpm);
    const bad = Buffer.from(good);
    bad.writeUInt8(bad.readUInt8(bad.length - 100) ^ 0xff, bad.length - 100);
    await writeFile(rpm, bad);
    try {
      const res = await env.dnf(reposdir, ['install', 'hello-dnf']);
      expect(res.ok).toBe(false);
      expect(res.out).toMatch(/does not match|checksum|signature|GPG/i);
    } finally {
      await writeFile(rpm, good);
    }

    const repomd = join(env.repodata('demo'), 'repomd.xml');
    const original = await readFile(repomd, 'utf8');
    await writeFile(repomd, original.replace('</repomd>', '<!-- tampered --></repomd>'));
    try {
      const res = await env.dnf(reposdir, ['install', 'hello-dnf']);
      expect(res.ok).toBe(false);
      expect(res.out).toMatch(/GPG signature verification error|signature/i);
    } finally {
      await writeFile(repomd, original);
    }
    expect((await env.dnf(reposdir, ['install', 'hello-dnf'])).ok).toBe(true);
  });

  it('`dnf copr enable <hub>/alice/demo` with a local hub config writes a working repo file', async () => {
    const port = new URL(env.t.service.url).port;
    const pluginconf = join(env.work, 'pluginconf');
    await mkdir(join(pluginconf, 'copr.d'), { recursive: true });
    // The hub named in the command resolves through this file: plain http on our port.
    await writeFile(join(pluginconf, 'copr.d', 'local.conf'), `[127.0.0.1:${port}]\nhostname = 127.0.0.1\nprotocol = http\nport = ${port}\n`);
    const reposdir = join(env.work, 'repos-copr-enable');
    await mkdir(reposdir, { recursive: true });
    const enable = await env.dnf(reposdir, ['copr', 'enable', `127.0.0.1:${port}/alice/demo`, env.chroot], [`--setopt=pluginconfpath=${pluginconf}`]);
    expect(enable.ok, enable.out).toBe(true);
    const files = await readdir(reposdir);
    expect(files).toEqual(['_copr:127.0.0.1:alice:demo.repo']);
    const written = await readFile(join(reposdir, files[0]!), 'utf8');
    expect(written).toContain(`baseurl=${env.t.service.config.RESULTS_BASE_URL}/alice/demo/fedora-$releasever-$basearch/`);
    expect(written).toMatch(/^repo_gpgcheck=1$/m);
    const res = await env.dnf(reposdir, ['install', 'hello-dnf']);
    expect(res.ok, res.out).toBe(true);
  });
});
