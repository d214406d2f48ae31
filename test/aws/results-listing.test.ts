import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultsListing } from '../../functions/aws/s3-listing.js';
import { S3ResultsStore } from '../../functions/aws/s3-results-store.js';
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
