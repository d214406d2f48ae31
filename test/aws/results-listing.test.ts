import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { resultsListing } from '../../functions/aws/s3-listing.js';
import { S3ResultsStore } from '../../functions/aws/s3-results-store.js';
import { isLiveLogPath, liveLogKeyOf, liveLogView } from '../../functions/aws/s3-live-log.js';
import { packedLogKeyOf, packedLogView } from '../../functions/aws/s3-packed-log.js';
import { startLocalAws, type Fauxqs } from './fauxqs.js';

/**
 * Directory listings of the results CDN (functions/handlers/results-listing.ts):
 * the result directory of a failed build, which no publish ever lists, must list
 * its files so `copr-cli download-build` (wget -r on the listing) gets them.
 */
describe('results listings on S3 (fauxqs)', () => {
  let aws: Fauxqs;
  let store: S3ResultsStore;
  const failed = 'alice/hello/fedora-44-x86_64/00000007-hello';

  beforeAll(async () => {
    aws = await startLocalAws();
    aws.server.createBucket('results');
    store = new S3ResultsStore(aws.s3, 'results');
    await store.put(`${failed}/builder-live.log.gz`, 'log');
    await store.put(`${failed}/backend.log.gz`, 'log');
    await store.put(`${failed}/fail`, '');
    await store.put('alice/hello/fedora-44-x86_64/00000008-ok/index.html', '<p>published listing</p>');
    await store.put('alice/hello/fedora-44-x86_64/00000008-ok/ok-1-1.x86_64.rpm', 'rpm');
    await store.put('_uploads/0b4f/hello-1-1.src.rpm', 'srpm');
  });
  afterAll(async () => {
    await aws?.stop();
  });

  it('lists a failed build that has no index.html, with relative links', async () => {
    const res = await resultsListing(aws.s3, 'results', `/${failed}/`);
    expect(res.status).toBe(200);
    for (const name of ['builder-live.log.gz', 'backend.log.gz', 'fail']) expect(res.body).toContain(`href="${name}"`);
    expect(res.body).toContain('href="../"');
  });

  it('lists subdirectories as directories', async () => {
    const res = await resultsListing(aws.s3, 'results', '/alice/hello/fedora-44-x86_64/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('href="00000007-hello/"');
    expect(res.body).toContain('href="00000008-ok/"');
  });

  it("serves the publisher's index.html where there is one", async () => {
    const res = await resultsListing(aws.s3, 'results', '/alice/hello/fedora-44-x86_64/00000008-ok/');
    expect(res).toEqual({ status: 200, body: '<p>published listing</p>' });
  });

  it('never lists uploads, and hides them at the root', async () => {
    expect((await resultsListing(aws.s3, 'results', '/_uploads/')).status).toBe(404);
    expect((await resultsListing(aws.s3, 'results', '/_uploads/0b4f/')).status).toBe(404);
    const root = await resultsListing(aws.s3, 'results', '/');
    expect(root.status).toBe(200);
    expect(root.body).toContain('href="alice/"');
    expect(root.body).not.toContain('_uploads');
  });

  it('redirects a directory without its slash, and 404s what does not exist or escapes', async () => {
    expect(await resultsListing(aws.s3, 'results', `/${failed}`)).toMatchObject({ status: 301, location: `/${failed}/` });
    expect((await resultsListing(aws.s3, 'results', '/nobody/here/')).status).toBe(404);
    expect((await resultsListing(aws.s3, 'results', '/alice/../_uploads/')).status).toBe(404);
    expect((await resultsListing(aws.s3, 'results', '/%E0%A4%A/')).status).toBe(400);
  });
});

/**
 * The live log of a running build on S3 (functions/aws/s3-live-log.ts): builders ship new
 * bytes only, each chunk an object of its own; the results CDN falls back to this view
 * while the complete builder-live.log is not there.
 */
describe('live log chunks on S3 (fauxqs)', () => {
  let aws: Fauxqs;
  let store: S3ResultsStore;
  const dir = 'alice/hello/fedora-44-x86_64/00000009-hello';
  const key = `${dir}/builder-live.log`;

  beforeAll(async () => {
    aws = await startLocalAws();
    aws.server.createBucket('results');
    store = new S3ResultsStore(aws.s3, 'results');
  });
  afterAll(async () => {
    await aws?.stop();
  });

  it('joins the chunks of the latest attempt in order, up to the first hole', async () => {
    expect((await liveLogView(aws.s3, 'results', key)).status).toBe(404);
    // Attempt 0 (a lost builder), then attempt 1 starting again at byte 0.
    await store.writeLiveLogChunk(key, 0, 0, Buffer.from('old attempt\n'));
    await store.writeLiveLogChunk(key, 1, 0, Buffer.from('line 1\n'));
    await store.writeLiveLogChunk(key, 1, 7, Buffer.from('line 2\n'));
    // Resent (same offset, same bytes): harmless.
    await store.writeLiveLogChunk(key, 1, 7, Buffer.from('line 2\n'));
    // A chunk after a hole (offset 14 is missing) is not shown yet.
    await store.writeLiveLogChunk(key, 1, 21, Buffer.from('line 4\n'));
    expect(await liveLogView(aws.s3, 'results', key)).toEqual({ status: 200, body: 'line 1\nline 2\n' });
    await store.writeLiveLogChunk(key, 1, 14, Buffer.from('line 3\n'));
    expect(await liveLogView(aws.s3, 'results', key)).toEqual({ status: 200, body: 'line 1\nline 2\nline 3\nline 4\n' });
  });

  it('shows the tail of a log longer than a response may be', async () => {
    const res = await liveLogView(aws.s3, 'results', key, 15);
    expect(res.status).toBe(200);
    expect(res.body).toBe('[... the first 14 bytes are not shown here; the complete log is in place once the build ends]\nline 3\nline 4\n');
  });

  it('keeps the chunks out of listings, and drops them once the complete log is in place', async () => {
    await store.put(key, 'line 1\nline 2\nline 3\nline 4\nBuild succeeded\n');
    const listing = await resultsListing(aws.s3, 'results', `/${dir}/`);
    expect(listing.body).toContain('href="builder-live.log"');
    expect(listing.body).not.toContain('chunks');
    await store.dropLiveLogChunks(key);
    expect(await store.list(`${dir}/`)).toEqual([key]);
    expect((await liveLogView(aws.s3, 'results', key)).status).toBe(404);
  });

  it("answers a finished build's builder-live.log with the text of its builder-live.log.gz, as the local results server does", async () => {
    // What closing the task leaves (core/backend-log.ts): the .gz only, as in Copr.
    await store.put(`${key}.gz`, gzipSync('line 1\nline 2\nBuild succeeded\n'));
    await store.delete(key);
    expect(await store.list(`${dir}/`)).toEqual([`${key}.gz`]);
    expect(await liveLogView(aws.s3, 'results', key)).toEqual({ status: 200, body: 'line 1\nline 2\nBuild succeeded\n' });
    const tail = await liveLogView(aws.s3, 'results', key, 16);
    expect(tail).toEqual({ status: 200, body: '[... the first 14 bytes are not shown here; the complete log is builder-live.log.gz]\nBuild succeeded\n' });
  });

  it("answers any other log's plain name with its .gz unpacked, and only inside result dirs", async () => {
    await store.put(`${dir}/build.log.gz`, gzipSync('Wrote: hello.rpm\n'));
    expect(packedLogKeyOf(`/${dir}/build.log`)).toBe(`${dir}/build.log`);
    expect(await packedLogView(aws.s3, 'results', `${dir}/build.log`)).toEqual({ status: 200, body: 'Wrote: hello.rpm\n' });
    expect((await packedLogView(aws.s3, 'results', `${dir}/root.log`)).status).toBe(404);
    for (const bad of ['/_uploads/x/build.log', `/${dir}/../x/build.log`, `/${dir}/.hidden/build.log`, `/${dir}/build.log.gz`, '/build.log', `/${dir}/.log`]) {
      expect(packedLogKeyOf(bad), bad).toBeNull();
    }
  });

  it('answers only for builder-live.log paths that name no hidden or escaping segment', () => {
    expect(isLiveLogPath(`/${key}`)).toBe(true);
    expect(isLiveLogPath(`/${key}.gz`)).toBe(true);
    expect(isLiveLogPath(`/${dir}/`)).toBe(false);
    expect(liveLogKeyOf(`/${key}`)).toBe(key);
    expect(liveLogKeyOf(`/${key}.gz`)).toBeNull();
    expect(liveLogKeyOf('/_uploads/x/builder-live.log')).toBeNull();
    expect(liveLogKeyOf(`/${dir}/../x/builder-live.log`)).toBeNull();
    expect(liveLogKeyOf(`/${dir}/.builder-live.log.chunks/builder-live.log`)).toBeNull();
    expect(liveLogKeyOf('/%E0%A4%A/builder-live.log')).toBeNull();
  });
});
