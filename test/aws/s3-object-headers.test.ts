import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULTS_S3_CLIENT_CONFIG, S3ResultsStore } from '../../functions/aws/s3-results-store.js';
import { startMoto } from '../rehearsal/emulators.js';

// moto, not fauxqs: fauxqs does not keep an object's Content-Encoding, which is the point here.
describe('S3ResultsStore object headers on moto', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let s3: S3Client;
  let store: S3ResultsStore;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client({
      ...RESULTS_S3_CLIENT_CONFIG,
      endpoint: moto.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'results' }));
    store = new S3ResultsStore(s3, 'results');
  }, 120_000);
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  it('stores a gzipped log as plain text with Content-Encoding, as the local results server answers it', async () => {
    const key = 'alice/proj/fedora-44-x86_64/00000001-a/backend.log.gz';
    await store.put(key, gzipSync('backend says hello\n'));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'results', Key: key }));
    expect(head.ContentType).toBe('text/plain; charset=utf-8');
    expect(head.ContentEncoding).toBe('gzip');
    // The stored bytes stay the .gz file that a download saves.
    expect(gunzipSync((await store.get(key)) ?? Buffer.alloc(0)).toString()).toBe('backend says hello\n');
  });

  it("gives a builder's gzipped log the same headers through its presigned upload URL", async () => {
    const key = 'alice/proj/fedora-44-x86_64/00000001-a/build.log.gz';
    const target = await store.uploadTarget(key);
    expect(target.headers).toEqual({ 'content-type': 'text/plain; charset=utf-8', 'content-encoding': 'gzip' });
    // What the builder's api-client does with it: PUT the bytes with the headers given.
    const put = await fetch(target.url, { method: target.method, headers: target.headers, body: new Uint8Array(gzipSync('rpmbuild says hello\n')) });
    expect(put.status, await put.text()).toBe(200);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'results', Key: key }));
    expect(head.ContentType).toBe('text/plain; charset=utf-8');
    expect(head.ContentEncoding).toBe('gzip');
    expect(gunzipSync((await store.get(key)) ?? Buffer.alloc(0)).toString()).toBe('rpmbuild says hello\n');
    // Other files are typed by name, never encoded.
    expect((await store.uploadTarget('alice/proj/fedora-44-x86_64/00000001-a/a-1-1.noarch.rpm')).headers).toEqual({ 'content-type': 'application/x-rpm' });
  });

  it('a copy is typed by its name as a put is (a gzipped log copied to a further chroot)', async () => {
    await store.put('alice/up/fedora-44-x86_64/00000009-x/backend.log.gz', gzipSync('x'));
    expect(await store.copy('alice/up/fedora-44-x86_64/00000009-x/backend.log.gz', 'alice/up/fedora-44-aarch64/00000009-x/backend.log.gz')).toBe(true);
    const log = await s3.send(new HeadObjectCommand({ Bucket: 'results', Key: 'alice/up/fedora-44-aarch64/00000009-x/backend.log.gz' }));
    expect([log.ContentType, log.ContentEncoding]).toEqual(['text/plain; charset=utf-8', 'gzip']);
    expect(gunzipSync((await store.get('alice/up/fedora-44-aarch64/00000009-x/backend.log.gz')) ?? Buffer.alloc(0)).toString()).toBe('x');
    expect(await store.copy('alice/up/missing.rpm', 'alice/up/elsewhere.rpm')).toBe(false);
  });

  it('types every upload, so an empty file is a plain empty PUT (an empty installed_pkgs.log, success)', async () => {
    for (const [name, type] of [
      ['installed_pkgs.log', 'text/plain; charset=utf-8'],
      ['success', 'application/octet-stream'],
      ['results.json', 'application/json'],
      ['configs.tar.gz', 'application/gzip'],
    ] as const) {
      const key = `alice/proj/fedora-44-x86_64/00000001-a/${name}`;
      const target = await store.uploadTarget(key);
      expect(target.headers).toEqual({ 'content-type': type });
      const put = await fetch(target.url, { method: target.method, headers: target.headers, body: new Uint8Array(0) });
      expect(put.status, await put.text()).toBe(200);
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'results', Key: key }));
      expect([head.ContentType, head.ContentLength]).toEqual([type, 0]);
    }
  });

  it('leaves other objects without an encoding', async () => {
    const key = 'alice/proj/fedora-44-x86_64/00000001-a/hello-1-1.noarch.rpm';
    await store.put(key, Buffer.from([0xed, 0xab, 0xee, 0xdb]));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'results', Key: key }));
    expect(head.ContentEncoding).toBeUndefined();
  });
});
