import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardPagePatterns, webPlugin } from '../../functions/local/web-plugin.js';
import { matchRoute } from '../../web/src/paths.js';
import { startTestService, type TestService } from '../support/service.js';

/** The local server's side of the dashboard: static files, page URLs → index.html, config. */
describe('Dashboard serving (web plugin)', () => {
  let svc: TestService;
  let dist: string;

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'copr-web-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>spa</title>');
    writeFileSync(join(dist, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
    svc = await startTestService({ plugins: [webPlugin({ distDir: dist })] });
  });
  afterAll(async () => {
    await svc?.stop();
    rmSync(dist, { recursive: true, force: true });
  });

  const get = (path: string) => fetch(`${svc.service.url}${path}`);

  it('answers index.html for every dashboard page URL, with and without trailing slash', async () => {
    for (const path of ['/', '/coprs/add/', '/status/', '/api/', '/coprs/jdoe/', '/coprs/g/copr/', '/coprs/jdoe/foo/builds/', '/coprs/jdoe/foo/package/python-x', '/login/callback?code=x']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain('text/html');
      expect(await res.text()).toContain('<title>spa</title>');
    }
    // A server-rendered page of a missing build is a 404, as upstream's; still the shell.
    const missing = await get('/coprs/g/copr/foo/build/12/');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('<title>spa</title>');
  });

  it('serves hashed assets as immutable and top-level files', async () => {
    const js = await get('/assets/app-1234.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await get('/favicon.svg')).headers.get('content-type')).toBe('image/svg+xml');
    expect((await get('/assets/missing.js')).status).toBe(404);
  });

  it('never serves files outside the build directory', async () => {
    for (const path of ['/assets/..%2f..%2fetc%2fpasswd', '/assets/%2e%2e/%2e%2e/package.json', '/assets/../../package.json']) {
      expect((await get(path)).status, path).toBe(404);
    }
  });

  it('leaves the API alone', async () => {
    expect(await (await get('/api_3/')).json()).toEqual({ version: 3 });
    const missing = await get('/api_3/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "Such API endpoint doesn't exist" });
  });

  it('serves /config.json from the service settings', async () => {
    expect(await (await get('/config.json')).json()).toEqual({
      issuer: `${svc.service.url}/oidc`,
      clientId: 'copr-local',
      redirectUri: `${svc.service.url}/login/callback`,
      scope: 'openid profile',
      bearer: 'access_token',
    });
  });

  it('says how to build the dashboard when web/dist is missing', async () => {
    const bare = await startTestService({ plugins: [webPlugin({ distDir: join(dist, 'nothing-here') })] });
    try {
      const res = await fetch(`${bare.service.url}/coprs/jdoe/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build:web');
    } finally {
      await bare.stop();
    }
  });

  it('has a dashboard page for every URL pattern the server sends to it', () => {
    const sample = (p: string) => p.replace('{build_id}', '12').replace(/\{[a-z_]+\}/g, 'x');
    for (const pattern of dashboardPagePatterns()) {
      expect(matchRoute(sample(pattern)).page, pattern).not.toBe('not-found');
    }
    expect(matchRoute('/coprs/g/copr/foo/build/7/')).toEqual({ page: 'build', owner: '@copr', project: 'foo', id: 7 });
    expect(matchRoute('/coprs/jdoe/foo/repo/epel-9/')).toEqual({ page: 'not-found' });
  });
});
