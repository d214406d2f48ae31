import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ResultsStore } from '../../functions/aws/s3-results-store.js';
import type { LifecycleDeps } from '../../functions/core/task-lifecycle.js';
import type { LocalPlugin } from '../../functions/local/service.js';
import { startLocalAws, type Fauxqs } from '../aws/fauxqs.js';
import { createProject, multipart, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';
import { newRecorder, recordingBuildsPlugin, startTask } from './build-support.js';

/**
 * SRPM uploads past the inline limit (issue 12): the API refuses them with Copr's
 * 413 and says how to get past it; on S3 a presigned upload slot takes the file
 * and a build starts from it, and the builder fetches the private upload through
 * a presigned GET.
 */
const CHROOTS = ['fedora-44-x86_64'];
const cliOptions = (project: string) => ({ ownername: 'alice', projectname: project, project_dirname: project, chroots: null });
const LIMIT = 4096;

describe('inline uploads above MAX_UPLOAD_BYTES', () => {
  let t: TestService;
  let alice: CoprClient;
  const rec = newRecorder();

  beforeAll(async () => {
    t = await startTestService({ plugins: [recordingBuildsPlugin(rec)], env: { MAX_UPLOAD_BYTES: String(LIMIT) } });
    alice = await t.user('alice');
    expect((await createProject(alice, 'alice', 'p', { chroots: CHROOTS })).status).toBe(200);
  });
  afterAll(() => t.stop());

  it("answers 413 in Copr's shape, naming the limit and the way past it, and stores nothing", async () => {
    const form = multipart([{ field: 'pkgs', filename: 'big-1-1.src.rpm', contentType: 'application/x-rpm', data: Buffer.alloc(LIMIT + 1, 7) }], cliOptions('p'));
    const res = await alice.send('POST', 'build/create/upload', { raw: form });
    expect(res.status).toBe(413);
    expect(res.body.output).toBe('notok');
    expect(String(res.body.error)).toContain("this server's limit of 4 KiB");
    expect(String(res.body.error)).toContain('web UI');
    expect(String(res.body.error)).toContain('copr-cli build PROJECT https://');
    expect(await rec.results!.list('_uploads/')).toEqual([]);
  });

  it('takes an upload under the limit', async () => {
    const form = multipart([{ field: 'pkgs', filename: 'small-1-1.src.rpm', contentType: 'application/x-rpm', data: Buffer.alloc(100, 7) }], cliOptions('p'));
    expect((await alice.send('POST', 'build/create/upload', { raw: form })).status).toBe(200);
  });

  it('offers no upload slot where the store takes inline uploads only', async () => {
    const res = await alice.send('POST', 'build/upload-slot', { json: { ownername: 'alice', projectname: 'p', filename: 'x-1-1.src.rpm' } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/inline only/);
  });
});

describe('upload slots on S3 (fauxqs)', () => {
  let aws: Fauxqs;
  let t: TestService;
  let alice: CoprClient;
  let bob: CoprClient;
  let deps: LifecycleDeps | null = null;

  /** The local service with its results in an S3 bucket, as on AWS. */
  const s3ResultsPlugin = (): LocalPlugin => ({
    name: 'test-s3-results',
    ports: () => ({ results: new S3ResultsStore(aws.s3, 'results'), wake: async () => {}, publish: async () => {} }),
    start: (base) => {
      deps = base.app.lifecycle;
    },
  });

  beforeAll(async () => {
    aws = await startLocalAws();
    aws.server.createBucket('results');
    t = await startTestService({ plugins: [s3ResultsPlugin()], env: { MAX_UPLOAD_BYTES: String(LIMIT) } });
    alice = await t.user('alice');
    bob = await t.user('bob');
    expect((await createProject(alice, 'alice', 'big', { chroots: CHROOTS })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
    await aws?.stop();
  });

  it('uploads a large SRPM into a slot, builds from it, and hands the builder a presigned GET', async () => {
    const data = Buffer.alloc(3 * LIMIT, 42);
    const slot = await alice.send<{ upload_id: string; url: string; method: string; headers: Record<string, string> }>('POST', 'build/upload-slot', {
      json: { ownername: 'alice', projectname: 'big', filename: 'large-1-1.src.rpm' },
    });
    expect(slot.status).toBe(200);
    expect(slot.body.upload_id).toMatch(/^[0-9a-f-]{36}\/large-1-1\.src\.rpm$/);
    const put = await fetch(slot.body.url, { method: slot.body.method, headers: slot.body.headers, body: new Uint8Array(data) });
    expect(put.status).toBe(200);

    const res = await alice.send('POST', 'build/create/uploaded', { json: { ...cliOptions('big'), upload_id: slot.body.upload_id } });
    expect(res.status).toBe(200);
    const cfg = await t.anon.get(`build/source-build-config/${res.body.id}`);
    expect(cfg.body.source_type).toBe('upload');
    expect((cfg.body.source_dict as { pkg: string }).pkg).toBe('large-1-1.src.rpm');

    // The builder's view of the task: the source URL is a presigned GET of the private upload.
    const d = deps!;
    const ctx = await startTask(d, String(res.body.id));
    const task = await fetch(`${t.service.url}/backend/builder/task`, { headers: { authorization: `Bearer ${ctx.task.task_id}.secret` } });
    expect(task.status).toBe(200);
    const source = JSON.parse(String(((await task.json()) as { source_json: string }).source_json)) as { url: string };
    expect(source.url).toContain('X-Amz-Signature=');
    const got = await fetch(source.url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(data);
  });

  it('refuses a slot in a project the caller may not build in, and a build from an empty slot', async () => {
    const denied = await bob.send('POST', 'build/upload-slot', { json: { ownername: 'alice', projectname: 'big', filename: 'x-1-1.src.rpm' } });
    expect(denied.status).toBe(403);
    const slot = await alice.send<{ upload_id: string }>('POST', 'build/upload-slot', {
      json: { ownername: 'alice', projectname: 'big', filename: 'never-1-1.src.rpm' },
    });
    const res = await alice.send('POST', 'build/create/uploaded', { json: { ...cliOptions('big'), upload_id: slot.body.upload_id } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/Nothing was uploaded/);
    const forged = await alice.send('POST', 'build/create/uploaded', { json: { ...cliOptions('big'), upload_id: '../../alice/big/x.src.rpm' } });
    expect(forged.status).toBe(400);
  });

  it('refuses unsafe slot file names', async () => {
    const res = await alice.send('POST', 'build/upload-slot', { json: { ownername: 'alice', projectname: 'big', filename: '../x.src.rpm' } });
    expect(res.status).toBe(400);
  });
});
