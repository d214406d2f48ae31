import { readdirSync, readFileSync } from 'node:fs';
import { readFile, stat, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpgSigner } from '../../functions/publish/gpg-signer.js';
import { CountingRunner, spawnRunner } from '../../functions/publish/process-runner.js';
import { rpmsNotSignedBy } from '../../functions/publish/rpm-signatures.js';
import { buildRpm, makeTmp, removeTmp, run } from './helpers.js';

describe('Class: GpgSigner', () => {
  let tmp: string;
  let signer: GpgSigner;
  let other: GpgSigner;

  beforeAll(async () => {
    tmp = await makeTmp('gpg-signer');
    // A deliberately deep keysDir: gpg-agent socket paths must still work.
    signer = new GpgSigner({ keysDir: join(tmp, 'a-rather-long-directory-name-for-keys', 'and-one-more-level-of-it'), keyLength: 2048 });
    other = new GpgSigner({ keysDir: join(tmp, 'imported'), keyLength: 2048 });
  });
  afterAll(async () => {
    await signer.close();
    await other.close();
    await removeTmp(tmp);
  });

  it('generates one key per project, with Copr naming and private permissions', async () => {
    const [k1, k1again] = await Promise.all([signer.ensureKey('alice', 'proj'), signer.ensureKey('alice', 'proj')]);
    expect(k1.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(k1again.fingerprint).toBe(k1.fingerprint);
    const home = signer.homedir('alice', 'proj');
    const { stdout } = await run('gpg', ['--homedir', home, '--batch', '--with-colons', '--list-keys']);
    expect(stdout).toContain('alice_proj (None) <alice#proj@copr.fedorahosted.org>');
    expect((await stat(home)).mode & 0o777).toBe(0o700);
    const keysDir = join(home, 'private-keys-v1.d');
    expect((await stat(keysDir)).mode & 0o777).toBe(0o700);
    for (const f of await readdir(keysDir)) expect((await stat(join(keysDir, f))).mode & 0o777).toBe(0o600);
    expect(k1.publicKeyArmored).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    expect(k1.publicKeyArmored).not.toContain('PRIVATE');

    const k2 = await signer.ensureKey('@grp', 'proj');
    expect(k2.fingerprint).not.toBe(k1.fingerprint);
    // A fresh signer over the same dir finds the existing key instead of making another.
    const again = new GpgSigner({ keysDir: join(tmp, 'a-rather-long-directory-name-for-keys', 'and-one-more-level-of-it'), keyLength: 2048 });
    expect((await again.ensureKey('alice', 'proj')).fingerprint).toBe(k1.fingerprint);
    await again.close();
    expect(() => signer.homedir('../x', 'p')).toThrow();
  });

  it('signs RPMs (rpm -K verifies with the public key) and only once', async () => {
    const { rpm } = await buildRpm(tmp, 'signme');
    const key = await signer.ensureKey('alice', 'proj');
    expect(await rpmsNotSignedBy(spawnRunner, [rpm], key.fingerprint)).toEqual([rpm]);
    await signer.signRpms('alice', 'proj', [rpm]);
    expect(await rpmsNotSignedBy(spawnRunner, [rpm], key.fingerprint)).toEqual([]);
    // Signed by another project's key counts as not signed by ours.
    const k2 = await signer.ensureKey('@grp', 'proj');
    expect(await rpmsNotSignedBy(spawnRunner, [rpm], k2.fingerprint)).toEqual([rpm]);

    const db = join(tmp, 'rpmdb');
    const pub = join(tmp, 'pub.asc');
    await writeFile(pub, key.publicKeyArmored);
    await run('rpm', ['--dbpath', db, '--initdb']);
    await run('rpmkeys', ['--dbpath', db, '--import', pub]);
    const { stdout } = await run('rpmkeys', ['--dbpath', db, '--checksig', '-v', rpm]);
    expect(stdout).toMatch(/Header V4 RSA\/SHA\d+ Signature, key ID [0-9a-f]+: OK/);
  });

  it('writes a detached armored signature that gpg verifies; tampering is detected', async () => {
    const file = join(tmp, 'repomd.xml');
    await writeFile(file, '<repomd/>\n');
    await signer.signDetached('alice', 'proj', file);
    expect(await readFile(`${file}.asc`, 'utf8')).toContain('-----BEGIN PGP SIGNATURE-----');
    const home = signer.homedir('alice', 'proj');
    await run('gpg', ['--homedir', home, '--batch', '--verify', `${file}.asc`, file]);
    await writeFile(file, '<repomd>tampered</repomd>\n');
    await expect(run('gpg', ['--homedir', home, '--batch', '--verify', `${file}.asc`, file])).rejects.toThrow();
  });

  it('exports and re-imports the secret key (the KMS-sealed path)', async () => {
    const key = await signer.ensureKey('alice', 'proj');
    const secret = await signer.exportSecretKey('alice', 'proj');
    expect(secret).toContain('PRIVATE KEY BLOCK');
    const imported = await other.importSecretKey('alice', 'proj', secret);
    expect(imported.fingerprint).toBe(key.fingerprint);
    const file = join(tmp, 'x.txt');
    await writeFile(file, 'x');
    await other.signDetached('alice', 'proj', file);
    await run('gpg', ['--homedir', signer.homedir('alice', 'proj'), '--batch', '--verify', `${file}.asc`, file]);
  });

  it('a session keeps one agent for its signings and stops it when the last session ends', async () => {
    const runner = new CountingRunner();
    const counted = new GpgSigner({ keysDir: join(tmp, 'session'), keyLength: 2048, runner });
    try {
      await counted.ensureKey('bob', 'proj');
      const home = counted.homedir('bob', 'proj');
      const files = ['a', 'b', 'c'].map((n) => join(tmp, `session-${n}.xml`));
      for (const f of files) await writeFile(f, f);
      const stops = () => runner.calls.filter((c) => c.name === 'gpgconf' && c.args.includes(home)).length;
      const before = stops();
      await counted.session('bob', 'proj', async () => {
        await counted.signDetached('bob', 'proj', files[0]!);
        // Overlapping sessions of one project: the agent outlives the inner one.
        await counted.session('bob', 'proj', () => counted.signDetached('bob', 'proj', files[1]!));
        await counted.signDetached('bob', 'proj', files[2]!);
        expect(stops()).toBe(before);
        expect(agentsFor(home)).toBe(1);
      });
      expect(stops()).toBe(before + 1);
      // The agent exits on gpgconf's kill; on a loaded machine it may take a moment to be gone.
      await expect.poll(() => agentsFor(home), { timeout: 10_000, interval: 50 }).toBe(0);
      for (const f of files) await run('gpg', ['--homedir', home, '--batch', '--verify', `${f}.asc`, f]);
      // Outside a session every use stops its agent again.
      await counted.signDetached('bob', 'proj', files[0]!);
      expect(stops()).toBe(before + 2);
    } finally {
      await counted.close();
    }
  });
});

/** gpg-agent processes serving `home` (Linux /proc). */
function agentsFor(home: string): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('gpg-agent') && argv.includes(home)) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}
