import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ResultsStore } from '../../functions/aws/s3-results-store.js';
import type { PublishRequest } from '../../functions/core/ports.js';
import type { LocalPlugin } from '../../functions/local/service.js';
import { startLocalAws, type Fauxqs } from '../aws/fauxqs.js';
import { apiEvent } from '../security/battery-support.js';
import { basic } from '../security/raw-http.js';
import { createProject, multipart, type CoprClient } from '../support/copr-client.js';
import { makeHelloRpm } from '../support/hello-srpm.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * `build/create/rpm-upload` on the AWS path: the request as API Gateway hands it to
 * the Lambda (buffered, base64 multipart), results in an S3 bucket (fauxqs). The
 * package lands in each chosen chroot's result dir with results.json and success,
 * one publish request per chroot is made (what signs it and runs createrepo), and no
 * builder task is queued. The end-to-end run with copr-cli and dnf is
 * test/e2e/copr-cli-uploadrpm.test.ts.
 */
const X86 = 'fedora-44-x86_64';
const ARM = 'fedora-44-aarch64';
const LIMIT = 64 * 1024;

let aws: Fauxqs;
let t: TestService;
let alice: CoprClient;
let work: string;
let auth = '';
const published: PublishRequest[] = [];
let wakes = 0;
let store: S3ResultsStore;

const s3Plugin = (): LocalPlugin => ({
  name: 'test-s3-results',
  ports: () => ({
    results: store,
    wake: async () => {
      wakes++;
    },
    publish: async (req) => {
      published.push(req);
    },
  }),
});

beforeAll(async () => {
  aws = await startLocalAws();
  aws.server.createBucket('results');
  store = new S3ResultsStore(aws.s3, 'results');
  t = await startTestService({ plugins: [s3Plugin()], env: { MAX_UPLOAD_BYTES: String(LIMIT) } });
  alice = await t.user('alice');
  auth = basic(alice.creds!.login, alice.creds!.token);
  expect((await createProject(alice, 'alice', 'p', { chroots: [X86, ARM] })).status).toBe(200);
  work = await mkdtemp(join(tmpdir(), 'rpm-upload-api-'));
});

afterAll(async () => {
  await t?.stop();
  await aws?.stop();
  await rm(work, { recursive: true, force: true });
});

/** The Lambda's view of copr-cli's request: one `pkgs` file part and the `json` part. */
async function lambdaUpload(filename: string, data: Buffer, chroots: string[] | null) {
  const form = multipart([{ field: 'pkgs', filename, contentType: 'application/x-rpm', data }], {
    ownername: 'alice', projectname: 'p', project_dirname: null, chroots, background: false,
  });
  const res = await t.service.api(apiEvent('POST', '/api_3/build/create/rpm-upload', { headers: { authorization: auth, 'content-type': form.contentType }, body: form.body }));
  return { status: res.statusCode ?? 200, body: JSON.parse(res.body ?? '{}') as Record<string, unknown> };
}

describe('rpm-upload through the Lambda entry, results on S3', () => {
  it('stores a noarch package in every chosen chroot, asks one publish per chroot and queues no builder', async () => {
    const rpm = await readFile(await makeHelloRpm(work, 'on-s3', { epoch: 2 }));
    const before = { wakes, published: published.length };
    const res = await lambdaUpload('on-s3-1.0-1.noarch.rpm', rpm, [X86, ARM]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const id = Number(res.body.id);
    expect(res.body).toMatchObject({ state: 'succeeded', chroots: [ARM, X86], source_package: { name: 'on-s3', version: '2:1.0-1', url: null } });
    const dir = `${String(id).padStart(8, '0')}-on-s3`;
    for (const chroot of [X86, ARM]) {
      const prefix = `alice/p/${chroot}/${dir}`;
      expect((await store.list(`${prefix}/`)).sort()).toEqual(
        ['backend.log.gz', 'on-s3-1.0-1.noarch.rpm', 'results.json', 'success'].map((f) => `${prefix}/${f}`),
      );
      expect((await store.get(`${prefix}/on-s3-1.0-1.noarch.rpm`))?.equals(rpm)).toBe(true);
      expect(JSON.parse(String(await store.get(`${prefix}/results.json`)))).toEqual({
        packages: [{ name: 'on-s3', epoch: 2, version: '1.0', release: '1', arch: 'noarch' }],
      });
    }
    expect(published.slice(before.published)).toEqual([
      { owner: 'alice', dirname: 'p', chroot: ARM, adds: [dir], devel: false },
      { owner: 'alice', dirname: 'p', chroot: X86, adds: [dir], devel: false },
    ]);
    // Nothing for a builder: the dispatcher was not woken and the build has no source task.
    expect(wakes).toBe(before.wakes);
    const cfg = await t.anon.get(`build/source-build-config/${id}`);
    expect(cfg.body.source_type).toBe('rpm_upload');
    expect(cfg.body.source_dict).toEqual({ pkg: 'on-s3-1.0-1.noarch.rpm' });
    const task = await fetch(`${t.service.url}/backend/get-srpm-build-task/${id}`);
    expect(task.status).toBeLessThan(500);
  });

  it("refuses what is not a binary RPM for the chroot before storing anything, in Copr's form-error shape", async () => {
    const keysBefore = await store.list('alice/p/');
    const builds = async () => (await alice.get<{ items: unknown[] }>('build/list', { ownername: 'alice', projectname: 'p' })).body.items.length;
    const buildsBefore = await builds();
    const arm = await readFile(await makeHelloRpm(work, 'arm-only', { buildArch: 'aarch64' }));
    const wrongArch = await lambdaUpload('arm-only-1.0-1.aarch64.rpm', arm, [X86]);
    expect(wrongArch).toEqual({ status: 400, body: { output: 'notok', error: 'pkgs: arm-only-1.0-1.aarch64.rpm is built for aarch64, which does not fit chroot fedora-44-x86_64.' } });
    // A header whose index points outside its data: not readable.
    const corrupt = Buffer.from(arm);
    const mainAt = 96 + Math.ceil((16 + corrupt.readUInt32BE(96 + 8) * 16 + corrupt.readUInt32BE(96 + 12)) / 8) * 8;
    // Its first index entry (the immutable region: never read by the check) points far outside the data.
    corrupt.writeUInt32BE(0x7fffffff, mainAt + 16 + 8);
    const bad = await lambdaUpload('corrupt-1.0-1.aarch64.rpm', corrupt, null);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^pkgs: corrupt-1\.0-1\.aarch64\.rpm is not a readable RPM package: header tag \d+ points outside the header\.$/);
    const badName = await lambdaUpload('arm only.rpm', arm, null);
    expect(badName).toEqual({ status: 400, body: { output: 'notok', error: "pkgs: Invalid file name 'arm only.rpm' (a plain .rpm file name)" } });
    const tooBig = await lambdaUpload('big-1-1.noarch.rpm', Buffer.alloc(LIMIT + 1, 1), null);
    expect(tooBig).toEqual({ status: 413, body: { output: 'notok', error: "The upload is larger than this server's limit of 64 KiB for built RPMs sent through the API (copr-cli uploadrpm)." } });
    expect(await store.list('alice/p/')).toEqual(keysBefore);
    expect(await builds()).toBe(buildsBefore);
  });
});
