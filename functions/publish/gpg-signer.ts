import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isValidOwnerName, isValidProjectName } from '../core/names.js';
import { KeyedMutex } from './keyed-mutex.js';
import { spawnRunner, type ProcessRunner } from './process-runner.js';
import { keyUserId, type ProjectKey, type Signer } from './signer.js';

export interface GpgSignerOptions {
  /** Root of the per-project GnuPG homedirs: `<keysDir>/<owner>/<project>/`. */
  keysDir: string;
  /** RSA key size; 4096 in production, smaller in tests for speed. */
  keyLength?: 2048 | 3072 | 4096;
  runner?: ProcessRunner;
  gpgBinary?: string;
}

const AGENT_SOCKETS = ['S.gpg-agent', 'S.gpg-agent.extra', 'S.gpg-agent.browser', 'S.gpg-agent.ssh'];

/**
 * Local signer: one GnuPG homedir per project (dir 0700, files 0600), a passphrase-less
 * key generated on first use (`%no-protection`: the key is protected by the directory
 * permissions locally and by KMS on AWS, see kms-key-store.ts), `rpmsign` for RPMs and
 * `gpg --detach-sign --armor` for repomd.xml.
 */
export class GpgSigner implements Signer {
  private readonly mutex = new KeyedMutex();
  private readonly keys = new Map<string, ProjectKey>();
  /** Homedirs whose agent sockets were set up by us → their socket dir. */
  private readonly started = new Map<string, string>();
  /** Homedirs inside a session → how many sessions hold them (their agent stays until the last ends). */
  private readonly held = new Map<string, number>();
  private readonly runner: ProcessRunner;
  private readonly gpg: string;
  private readonly keyLength: number;

  constructor(private readonly opts: GpgSignerOptions) {
    this.runner = opts.runner ?? spawnRunner;
    this.gpg = opts.gpgBinary ?? '/usr/bin/gpg';
    this.keyLength = opts.keyLength ?? 4096;
  }

  homedir(owner: string, project: string): string {
    // The names become path segments; reject anything that could escape keysDir.
    if (!isValidOwnerName(owner) || !isValidProjectName(project)) {
      throw new Error(`invalid key owner/project '${owner}/${project}'`);
    }
    return join(this.opts.keysDir, owner, project);
  }

  ensureKey(owner: string, project: string): Promise<ProjectKey> {
    const home = this.homedir(owner, project);
    // A key this signer knows already needs no gpg (nor an agent to stop afterwards):
    // every signing asks for it first, so this is most of the calls.
    const known = this.keys.get(home);
    if (known) return Promise.resolve(known);
    return this.mutex.run(home, () => this.withAgent(home, () => this.ensureKeyLocked(home, owner, project)));
  }

  /**
   * Runs one use of a homedir, then stops the gpg-agent gpg started for it: an agent
   * per project would otherwise stay (holding the unlocked key) until shutdown, and
   * after a crash or restart forever. The next use starts a fresh one on demand.
   */
  private async withAgent<T>(home: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } finally {
      if (!this.held.has(home)) await this.stopAgent(home);
    }
  }

  private async stopAgent(home: string): Promise<void> {
    await this.runner.run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { allowFailure: true });
  }

  /**
   * Runs `fn` with the project's agent kept between its gpg uses and stopped when it
   * ends (the last of overlapping sessions): one publish signs RPMs and repomd.xml,
   * and starting and stopping an agent around each use cost more than the signing.
   */
  async session<T>(owner: string, project: string, fn: () => Promise<T>): Promise<T> {
    const home = this.homedir(owner, project);
    this.held.set(home, (this.held.get(home) ?? 0) + 1);
    try {
      return await fn();
    } finally {
      const left = (this.held.get(home) ?? 1) - 1;
      if (left > 0) this.held.set(home, left);
      else {
        this.held.delete(home);
        await this.mutex.run(home, () => this.stopAgent(home));
      }
    }
  }

  async signRpms(owner: string, project: string, files: readonly string[]): Promise<void> {
    if (files.length === 0) return;
    const key = await this.ensureKey(owner, project);
    const home = this.homedir(owner, project);
    await this.mutex.run(home, () => this.withAgent(home, async () => {
      await this.prepareHomedir(home);
      await this.runner.run('rpmsign', [
        '--addsign',
        // Debian's %__gpg points at a missing gpg2 (research/feasibility.md).
        '--define', `__gpg ${this.gpg}`,
        '--define', `_gpg_name ${key.fingerprint}`,
        '--define', `_gpg_path ${home}`,
        ...files,
      ]);
    }));
  }

  async signDetached(owner: string, project: string, file: string): Promise<void> {
    const key = await this.ensureKey(owner, project);
    const home = this.homedir(owner, project);
    await this.mutex.run(home, () => this.withAgent(home, async () => {
      await this.prepareHomedir(home);
      await this.runner.run(this.gpg, [
        '--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback',
        '--local-user', key.fingerprint, '--armor', '--detach-sign', '--output', `${file}.asc`, file,
      ]);
    }));
  }

  /** Armored secret key, for the KMS-encrypted store (kms-key-store.ts). */
  async exportSecretKey(owner: string, project: string): Promise<string> {
    const key = await this.ensureKey(owner, project);
    const home = this.homedir(owner, project);
    const res = await this.mutex.run(home, () => this.withAgent(home, async () => {
      await this.prepareHomedir(home);
      return this.runner.run(this.gpg, ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--armor', '--export-secret-keys', key.fingerprint]);
    }));
    return res.stdout;
  }

  /** Imports a secret key exported by `exportSecretKey` (e.g. decrypted in a Fargate task). */
  async importSecretKey(owner: string, project: string, armored: string): Promise<ProjectKey> {
    const home = this.homedir(owner, project);
    return this.mutex.run(home, () => this.withAgent(home, async () => {
      await this.prepareHomedir(home);
      const imported = await this.runner.run(this.gpg, ['--homedir', home, '--batch', '--status-fd', '1', '--import'], { input: armored });
      await restrictPermissions(home);
      this.keys.delete(home);
      // `IMPORT_OK <flags> <fingerprint>`, flag 16 = a secret key: no listing of the keyring needed.
      const secret = [...imported.stdout.matchAll(/^\[GNUPG:\] IMPORT_OK (\d+) ([0-9A-F]{40})$/gm)].find((m) => (Number(m[1]) & 16) !== 0)?.[2];
      const key = secret ? await this.publicKeyOf(home, secret) : await this.readKey(home);
      if (!key) throw new Error(`import of key for ${owner}/${project} produced no secret key`);
      this.keys.set(home, key);
      return key;
    }));
  }

  /** Stops the gpg-agents this signer started (tests, shutdown). */
  async close(): Promise<void> {
    const started = [...this.started];
    this.started.clear();
    await Promise.all(
      started.map(async ([home, sockDir]) => {
        await this.runner.run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { allowFailure: true });
        await rm(sockDir, { recursive: true, force: true });
      }),
    );
  }

  private async ensureKeyLocked(home: string, owner: string, project: string): Promise<ProjectKey> {
    const cached = this.keys.get(home);
    if (cached) return cached;
    await this.prepareHomedir(home);
    let key = await this.readKey(home);
    if (!key) {
      const uid = keyUserId(owner, project);
      const params = [
        '%no-protection',
        'Key-Type: RSA',
        `Key-Length: ${this.keyLength}`,
        'Key-Usage: sign',
        `Name-Real: ${uid.name}`,
        `Name-Comment: ${uid.comment}`,
        `Name-Email: ${uid.email}`,
        'Expire-Date: 0',
        '%commit',
        '',
      ].join('\n');
      await this.runner.run(this.gpg, ['--homedir', home, '--batch', '--gen-key'], { input: params });
      await restrictPermissions(home);
      key = await this.readKey(home);
      if (!key) throw new Error(`gpg produced no key for ${owner}/${project}`);
    }
    this.keys.set(home, key);
    return key;
  }

  private async readKey(home: string): Promise<ProjectKey | undefined> {
    const list = await this.runner.run(this.gpg, ['--homedir', home, '--batch', '--with-colons', '--list-secret-keys'], {
      allowFailure: true,
    });
    const fpr = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(list.stdout)?.[1];
    return fpr ? this.publicKeyOf(home, fpr) : undefined;
  }

  private async publicKeyOf(home: string, fingerprint: string): Promise<ProjectKey> {
    const pub = await this.runner.run(this.gpg, ['--homedir', home, '--batch', '--armor', '--export', fingerprint]);
    return { fingerprint, publicKeyArmored: pub.stdout };
  }

  /**
   * Creates the homedir (0700) and points gpg-agent's sockets at a short directory:
   * unix socket paths are limited to ~108 bytes and a deep keysDir exceeds that.
   * GnuPG follows `%Assuan%` redirect files in place of the sockets.
   */
  private async prepareHomedir(home: string): Promise<void> {
    await mkdir(home, { recursive: true, mode: 0o700 });
    await chmod(home, 0o700);
    // The socket dir is (re)created on every use: another signer over the same keysDir
    // may have closed (removed) it, gpg restarts the agent on demand.
    const sockDir = join(tmpdir(), `copr-gpg-${createHash('sha256').update(home).digest('hex').slice(0, 16)}`);
    await mkdir(sockDir, { recursive: true, mode: 0o700 });
    if (!this.started.has(home)) {
      for (const name of AGENT_SOCKETS) {
        await writeFile(join(home, name), `%Assuan%\nsocket=${join(sockDir, name)}\n`, { mode: 0o600 });
      }
      this.started.set(home, sockDir);
    }
  }
}

/** Files 0600, directories 0700, below a homedir (gpg's own defaults, enforced). */
async function restrictPermissions(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await chmod(path, 0o700);
      await restrictPermissions(path);
    } else if (entry.isFile()) {
      await chmod(path, 0o600);
    }
  }
  if ((await stat(dir)).isDirectory()) await chmod(dir, 0o700);
}
