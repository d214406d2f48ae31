import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPublisherTask, type PublisherTaskDeps } from '../../functions/aws/publisher-task.js';
import { S3ResultsStore } from '../../functions/aws/s3-results-store.js';
import { GpgSigner } from '../../functions/publish/gpg-signer.js';
import { KmsKeyStore } from '../../functions/publish/kms-key-store.js';
import { spawnRunner } from '../../functions/publish/process-runner.js';
import { parseRepomd } from '../../functions/publish/repomd-entries.js';
import { readLayout } from '../../functions/publish/spliced-gzip.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { ensureTable } from '../../functions/store/table-admin.js';
import { signingKeyKey } from '../../functions/store/table.js';
import { buildRpm, makeTmp, primaryLocations, removeTmp, run } from '../publish/helpers.js';
import { fakeKms, type FakeKms } from './fake-kms.js';
import { startLocalAws, type Fauxqs } from './fauxqs.js';
import { DynamoSigningKeys } from '../../functions/store/dynamo-signing-keys.js';

const KEY_ID = 'arn:aws:kms:us-east-1:111122223333:key/publisher';
const CHROOT = 'fedora-44-x86_64';
const REPO = `alice/proj/${CHROOT}`;

/**
 * The Fargate publisher end to end on a metadata-only mirror: S3 on fauxqs, the
 * sealed key in DynamoDB Local, real gpg / rpmsign / createrepo_c; only KMS is faked.
 * Every run gets a fresh work dir and signer, as a new Fargate task would.
 */
describe('Function: runPublisherTask', () => {
  let tmp: string;
  let aws: Fauxqs;
  let kms: FakeKms;
  let results: S3ResultsStore;
  let table: string;
  const signers: GpgSigner[] = [];
  let runs = 0;
  let rpmA: { rpm: string; srpm: string };
  let rpmB: { rpm: string; srpm: string };

  beforeAll(async () => {
    tmp = await makeTmp('aws-publisher');
    aws = await startLocalAws();
    aws.server.createBucket('results');
    results = new S3ResultsStore(aws.s3, 'results');
    kms = fakeKms(KEY_ID);
    table = `publisher-${Date.now()}`;
    await ensureTable(documentClient(process.env.DYNAMODB_ENDPOINT), table);
    [rpmA, rpmB] = await Promise.all([buildRpm(tmp, 'pkga'), buildRpm(tmp, 'pkgb')]);
  });
  afterAll(async () => {
    await Promise.all(signers.map((s) => s.close()));
    kms?.mock.restore();
    await aws?.stop();
    if (tmp) await removeTmp(tmp);
  });

  function freshDeps(): PublisherTaskDeps {
    // Deep on purpose: gpg-agent socket paths must stay short however deep the work dir is.
    const workDir = join(tmp, `task-${++runs}`, 'x'.repeat(60));
    const signer = new GpgSigner({ keysDir: join(workDir, 'keys'), keyLength: 2048 });
    signers.push(signer);
    return {
      results,
      signingKeys: new DynamoSigningKeys(documentClient(process.env.DYNAMODB_ENDPOINT), table),
      keys: new KmsKeyStore(kms.client, KEY_ID),
      signer,
      run: spawnRunner,
      clock: { now: () => 1_700_000_000_000 },
      workDir,
      resultsBaseUrl: 'https://results.example/results',
    };
  }

  async function upload(prefix: string, files: string[]): Promise<void> {
    for (const f of files) await results.put(`${prefix}/${f.slice(f.lastIndexOf('/') + 1)}`, await readFile(f));
  }

  /** Downloads a repository's repodata and the project's pubkey.gpg into a local dir. */
  async function fetchRepo(repo: string, name: string): Promise<{ repodata: string; pubkey: string }> {
    const dir = join(tmp, name);
    const project = repo.split('/').slice(0, 2).join('/');
    for (const key of await results.list(`${repo}/repodata/`)) {
      const path = join(dir, 'repodata', key.slice(key.lastIndexOf('/') + 1));
      await run('mkdir', ['-p', join(dir, 'repodata')]);
      await writeFile(path, (await results.get(key))!);
    }
    const pubkey = join(dir, 'pubkey.gpg');
    await writeFile(pubkey, (await results.get(`${project}/pubkey.gpg`))!);
    return { repodata: join(dir, 'repodata'), pubkey };
  }

  async function verifyRepomd(repodata: string, pubkey: string, home: string): Promise<void> {
    await run('mkdir', ['-m', '700', '-p', home]);
    await run('gpg', ['--homedir', home, '--batch', '--import', pubkey]);
    await run('gpg', ['--homedir', home, '--batch', '--verify', join(repodata, 'repomd.xml.asc'), join(repodata, 'repomd.xml')]);
  }

  async function checksig(key: string, pubkey: string, name: string): Promise<string> {
    const rpm = join(tmp, `${name}.rpm`);
    await writeFile(rpm, (await results.get(key))!);
    const db = join(tmp, `rpmdb-${name}`);
    await run('rpm', ['--dbpath', db, '--initdb']);
    await run('rpmkeys', ['--dbpath', db, '--import', pubkey]);
    return (await run('rpmkeys', ['--dbpath', db, '--checksig', '-v', rpm])).stdout;
  }

  it('adds builds without the old packages, signs, and deletes a build from the metadata', async () => {
    await upload(`${REPO}/00000001-a`, [rpmA.rpm, rpmA.srpm]);
    await results.put(`${REPO}/00000001-a/builder-live.log.gz`, 'log');
    await runPublisherTask({ owner: 'alice', dirname: 'proj', chroot: CHROOT, adds: ['00000001-a'] }, freshDeps());

    // The key was created once, sealed with the project's encryption context.
    expect(kms.generated).toEqual([{ copr_owner: 'alice', copr_project: 'proj' }]);
    const sealed = await documentClient(process.env.DYNAMODB_ENDPOINT).send(
      new GetCommand({ TableName: table, Key: signingKeyKey('alice', 'proj') }),
    );
    expect(JSON.stringify(sealed.Item)).not.toContain('PRIVATE KEY');
    expect(sealed.Item?.sealed).toMatchObject({ v: 1 });
    const firstRepomd = (await results.get(`${REPO}/repodata/repomd.xml`))!.toString();

    // The second run must not need build 1's packages: remove them from the bucket.
    for (const key of await results.list(`${REPO}/00000001-a/`)) if (key.endsWith('.rpm')) await results.deletePrefix(key);
    await upload(`${REPO}/00000002-b`, [rpmB.rpm, rpmB.srpm]);
    await runPublisherTask({ owner: 'alice', dirname: 'proj', chroot: CHROOT, adds: ['00000002-b'] }, freshDeps());
    // A new task opened the sealed key (same context) instead of making another one.
    expect(kms.generated).toHaveLength(1);
    expect(kms.decrypted).toEqual([{ copr_owner: 'alice', copr_project: 'proj' }]);

    const two = await fetchRepo(REPO, 'after-two');
    expect(await primaryLocations(two.repodata)).toEqual([
      '00000001-a/pkga-1.0-1.noarch.rpm',
      '00000001-a/pkga-1.0-1.src.rpm',
      '00000002-b/pkgb-1.0-1.noarch.rpm',
      '00000002-b/pkgb-1.0-1.src.rpm',
    ]);
    expect(await readFile(join(two.repodata, 'repomd.xml'), 'utf8')).not.toBe(firstRepomd);
    // The add was appended to the old metadata (repodata-append.ts), not a createrepo_c --update:
    // the new entry has no open-checksum, and the file is in the appendable layout.
    const primary = parseRepomd(await readFile(join(two.repodata, 'repomd.xml'), 'utf8'))?.find((e) => e.type === 'primary');
    expect(primary?.openChecksum).toBeUndefined();
    expect((await readLayout(join(two.repodata, primary!.href.slice('repodata/'.length))))?.packages).toBe(4);
    await verifyRepomd(two.repodata, two.pubkey, join(tmp, 'gpg-two'));
    expect(await checksig(`${REPO}/00000002-b/pkgb-1.0-1.noarch.rpm`, two.pubkey, 'b')).toMatch(
      /Header V4 RSA\/SHA\d+ Signature, key ID [0-9a-f]+: OK/,
    );
    // Stale metadata files are gone: the bucket holds what repomd.xml names, plus the signature and listing.
    const repomd = await readFile(join(two.repodata, 'repomd.xml'), 'utf8');
    const named = [...repomd.matchAll(/<location href="repodata\/([^"]+)"/g)].map((m) => m[1]!);
    const inBucket = (await results.list(`${REPO}/repodata/`)).map((k) => k.slice(k.lastIndexOf('/') + 1));
    expect(inBucket.sort()).toEqual([...named, 'index.html', 'repomd.xml', 'repomd.xml.asc'].sort());
    // Listings from what the bucket holds.
    const listing = (await results.get(`${REPO}/index.html`))!.toString();
    expect(listing).toContain('00000001-a');
    expect(listing).toContain('00000002-b');
    expect(listing).toContain('repodata');
    expect((await results.get('alice/proj/index.html'))!.toString()).toContain(CHROOT);
    expect((await results.get(`${REPO}/00000002-b/index.html`))!.toString()).toContain('pkgb-1.0-1.noarch.rpm');

    await runPublisherTask({ owner: 'alice', dirname: 'proj', chroot: CHROOT, deletes: ['00000001-a'] }, freshDeps());
    const three = await fetchRepo(REPO, 'after-delete');
    expect(await primaryLocations(three.repodata)).toEqual(['00000002-b/pkgb-1.0-1.noarch.rpm', '00000002-b/pkgb-1.0-1.src.rpm']);
    await verifyRepomd(three.repodata, three.pubkey, join(tmp, 'gpg-three'));
    expect(await results.list(`${REPO}/00000001-a/`)).toEqual([]);
    expect(await results.exists(`${REPO}/00000002-b/pkgb-1.0-1.noarch.rpm`)).toBe(true);
    expect((await results.get(`${REPO}/index.html`))!.toString()).not.toContain('00000001-a');
  });

  it('resolves two first runs racing to create the project key to one key', async () => {
    // Hold KMS until both runs have generated a key and are about to store it.
    let waiting: Array<() => void> = [];
    kms.beforeGenerate = () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length === 2) {
          waiting.forEach((r) => r());
          waiting = [];
        }
      });
    const generatedBefore = kms.generated.length;
    const repos = ['bob/race/fedora-44-x86_64', 'bob/race/epel-9-x86_64'];
    await upload(`${repos[0]}/00000010-a`, [rpmA.rpm]);
    await upload(`${repos[1]}/00000011-b`, [rpmB.rpm]);
    await Promise.all([
      runPublisherTask({ owner: 'bob', dirname: 'race', chroot: 'fedora-44-x86_64', adds: ['00000010-a'] }, freshDeps()),
      runPublisherTask({ owner: 'bob', dirname: 'race', chroot: 'epel-9-x86_64', adds: ['00000011-b'] }, freshDeps()),
    ]);
    kms.beforeGenerate = async () => {};
    expect(kms.generated.length - generatedBefore).toBe(2);
    // The loser opened the winner's sealed key.
    expect(kms.decrypted.at(-1)).toEqual({ copr_owner: 'bob', copr_project: 'race' });

    // Both repositories and both packages verify with the one published key.
    for (const [i, repo] of repos.entries()) {
      const fetched = await fetchRepo(repo, `race-${i}`);
      await verifyRepomd(fetched.repodata, fetched.pubkey, join(tmp, `gpg-race-${i}`));
    }
    const pub = (await fetchRepo(repos[0]!, 'race-key')).pubkey;
    expect(await checksig(`${repos[0]}/00000010-a/pkga-1.0-1.noarch.rpm`, pub, 'race-a')).toMatch(/Signature, key ID [0-9a-f]+: OK/);
    expect(await checksig(`${repos[1]}/00000011-b/pkgb-1.0-1.noarch.rpm`, pub, 'race-b')).toMatch(/Signature, key ID [0-9a-f]+: OK/);
  });

  it("creates a new project's empty signed repository and its pubkey.gpg (a full run with nothing in the chroot)", async () => {
    const repo = `bob/fresh/${CHROOT}`;
    expect(await results.list('bob/fresh/')).toEqual([]);
    await runPublisherTask({ owner: 'bob', dirname: 'fresh', chroot: CHROOT, adds: [], full: true, devel: false }, freshDeps());
    const fetched = await fetchRepo(repo, 'fresh');
    expect(await primaryLocations(fetched.repodata)).toEqual([]);
    await verifyRepomd(fetched.repodata, fetched.pubkey, join(tmp, 'gpg-fresh'));
  });

  it('publishes comps.xml into a chroot that has no repodata and no new builds yet', async () => {
    const repo = 'alice/proj/epel-10-x86_64';
    const comps = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">',
      '<comps><group><id>tiny</id><name>Tiny</name><description>d</description><default>true</default><uservisible>true</uservisible>',
      '<packagelist><packagereq type="default">pkga</packagereq></packagelist></group></comps>',
      '',
    ].join('\n');
    await results.put(`${repo}/comps.xml`, comps);
    await runPublisherTask({ owner: 'alice', dirname: 'proj', chroot: 'epel-10-x86_64', comps: true }, freshDeps());
    const fetched = await fetchRepo(repo, 'comps');
    const repomd = await readFile(join(fetched.repodata, 'repomd.xml'), 'utf8');
    expect(repomd).toContain('<data type="group">');
    await verifyRepomd(fetched.repodata, fetched.pubkey, join(tmp, 'gpg-comps'));
  });

  it('regenerates and republishes comps on a metadata-only mirror: no published package is downloaded, gone ones leave, unlisted ones join', async () => {
    const repo = `carol/regen/${CHROOT}`;
    await upload(`${repo}/00000031-a`, [rpmA.rpm]);
    await upload(`${repo}/00000032-b`, [rpmB.rpm]);
    await runPublisherTask({ owner: 'carol', dirname: 'regen', chroot: CHROOT, adds: ['00000031-a', '00000032-b'] }, freshDeps());
    // Behind the metadata's back: b's package vanished, a package nobody published appeared, comps changed.
    await results.deletePrefix(`${repo}/00000032-b/`);
    const { rpm: pkgc } = await buildRpm(tmp, 'pkgc');
    await upload(`${repo}/00000033-c`, [pkgc]);
    await results.put(`${repo}/comps.xml`, '<?xml version="1.0"?>\n<comps><group><id>g</id><name>G</name><description>d</description><packagelist><packagereq>pkga</packagereq></packagelist></group></comps>\n');
    const fetched: string[] = [];
    const counting = Object.create(results) as S3ResultsStore;
    counting.get = async (key: string) => {
      fetched.push(key);
      return results.get(key);
    };
    const report = await runPublisherTask({ owner: 'carol', dirname: 'regen', chroot: CHROOT, full: true, comps: true }, { ...freshDeps(), results: counting });
    expect(report.wholeChroot).toBe(false);
    expect(fetched.filter((k) => k.endsWith('.rpm'))).toEqual([`${repo}/00000033-c/pkgc-1.0-1.noarch.rpm`]);
    const out = await fetchRepo(repo, 'regen');
    expect(await primaryLocations(out.repodata)).toEqual(['00000031-a/pkga-1.0-1.noarch.rpm', '00000033-c/pkgc-1.0-1.noarch.rpm']);
    expect(await readFile(join(out.repodata, 'repomd.xml'), 'utf8')).toContain('<data type="group">');
    await verifyRepomd(out.repodata, out.pubkey, join(tmp, 'gpg-regen'));
    // The chroot listing was updated from the change (c joined), not rebuilt from a bucket listing.
    const listing = (await results.get(`${repo}/index.html`))!.toString();
    expect(listing).toContain('00000033-c/');
    expect(listing).toContain('00000031-a/');
  });
});
