import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildsPlugin } from '../../functions/local/builds-plugin.js';
import { oidcPlugin } from '../../functions/local/oidc-plugin.js';
import { webPlugin } from '../../functions/local/web-plugin.js';
import { startTestService, type TestService } from '../support/service.js';
import { createProject, ensureDashboardBuilt, launchBrowser, logIn, newUser, screenshot, visit, type WebUser } from './browser.js';

/**
 * The dashboard in a real browser against the real local service: PKCE login,
 * project creation, a denied action, the API token page, direct loads of deep URLs,
 * accessibility (axe) and console cleanliness. Build upload and live-log steps are
 * added here once builds run end to end (see browser.ts for the helpers).
 */
describe('Dashboard', () => {
  let svc: TestService;
  let browser: Browser;
  let alice: WebUser;
  let bob: WebUser;

  beforeAll(async () => {
    ensureDashboardBuilt();
    svc = await startTestService({ plugins: [buildsPlugin(), oidcPlugin(), webPlugin()] });
    browser = await launchBrowser();
    alice = await newUser(browser, svc.service.url);
    bob = await newUser(browser, svc.service.url, { width: 390, height: 800 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
  });

  it('logs in with the PKCE flow and creates a project', async () => {
    await logIn(alice, 'alice');
    await createProject(alice, 'alice', { name: 'webproj', chroots: ['fedora-rawhide-x86_64', 'epel-9-x86_64'], description: 'Made in the browser.' });
    const { page } = alice;
    await page.getByText('Made in the browser.').waitFor();
    await page.getByRole('cell', { name: 'epel-9', exact: true }).waitFor();
    expect(await page.getByLabel('Enable this repository').textContent()).toContain('dnf copr enable alice/webproj');
    const repoLink = page.getByRole('link', { name: 'epel-9.repo' });
    expect(await repoLink.getAttribute('href')).toBe('/coprs/alice/webproj/repo/epel-9/alice-webproj-epel-9.repo');
    await screenshot(page, 'project-overview');

    // The API sees the same project, owned by the user the login created.
    const res = await svc.anon.get('project', { ownername: 'alice', projectname: 'webproj' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ full_name: 'alice/webproj', description: 'Made in the browser.' });
    expect(Object.keys(res.body.chroot_repos as object).sort()).toEqual(['epel-9-x86_64', 'fedora-rawhide-x86_64']);
  });

  it('shows the new project on the owner page and in search', async () => {
    await visit(alice, '/coprs/alice/', 'alice', 'owner');
    await alice.page.getByRole('link', { name: 'webproj' }).waitFor();
    await alice.page.goto('/?q=webproj');
    await alice.page.getByRole('heading', { name: /Projects matching/ }).waitFor();
    await alice.page.getByRole('region', { name: /Projects matching/ }).getByRole('link', { name: 'webproj' }).waitFor();
    await alice.page.goto('/?q=no-such-thing-anywhere');
    await alice.page.getByRole('region', { name: /Projects matching/ }).getByText('No projects.').waitFor();
  });

  it('shows a clear message when another user may not change the project', async () => {
    await logIn(bob, 'bob');
    await bob.page.goto('/coprs/alice/webproj/edit/');
    await bob.page.getByLabel('Description').fill('bob was here');
    await bob.page.getByRole('button', { name: 'Save settings' }).click();
    const alert = bob.page.getByRole('alert').filter({ hasText: 'Not saved' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Permission denied: .*Only owners and admins may/);
    await screenshot(bob.page, 'permission-denied-mobile');
    const res = await svc.anon.get('project', { ownername: 'alice', projectname: 'webproj' });
    expect(res.body.description).toBe('Made in the browser.');
  });

  it('issues an API token and shows a working ~/.config/copr snippet', async () => {
    await alice.page.goto('/api/');
    await alice.page.getByRole('button', { name: 'Generate API token' }).click();
    const snippet = alice.page.getByLabel('copr-cli configuration');
    await snippet.waitFor();
    const text = (await snippet.textContent()) ?? '';
    expect(text).toContain('[copr-cli]');
    expect(text).toContain('username = alice');
    expect(text).toContain(`copr_url = ${svc.service.url}`);
    const login = /login = (\S+)/.exec(text)?.[1];
    const token = /token = (\S+)/.exec(text)?.[1];
    expect(login && token).toBeTruthy();
    const check = await fetch(`${svc.service.url}/api_3/auth-check`, { headers: { authorization: `Basic ${Buffer.from(`${login}:${token}`).toString('base64')}` } });
    expect(await check.json()).toMatchObject({ name: 'alice' });
    await screenshot(alice.page, 'api-token');
  });

  it('loads every main page directly from its URL, accessibly', async () => {
    await visit(alice, '/', 'Copr build system', 'home');
    await visit(alice, '/coprs/alice/webproj/', 'alice/webproj', 'project');
    await alice.page.reload();
    await alice.page.getByRole('heading', { level: 1, name: 'alice/webproj' }).waitFor();
    await visit(alice, '/coprs/alice/webproj/builds/', /alice\/webproj · Builds/, 'builds');
    await visit(alice, '/coprs/alice/webproj/packages/', /alice\/webproj · Packages/, 'packages');
    await visit(alice, '/coprs/alice/webproj/edit/', /alice\/webproj · Settings/, 'settings');
    await visit(alice, '/coprs/alice/webproj/add_build/', /alice\/webproj · New build/, 'new-build');
    await visit(alice, '/coprs/add/', 'New project', 'new-project');
    await visit(alice, '/status/', 'Build queue', 'status');
    await visit(alice, '/api/', 'API', 'api');
    await visit(alice, '/coprs/alice/webproj/build/not-a-number/', 'Page not found', 'not-found');
  });

  it('leaves the API routes to the API', async () => {
    const home = await fetch(`${svc.service.url}/api_3/`);
    expect(await home.json()).toEqual({ version: 3 });
    const page = await fetch(`${svc.service.url}/coprs/alice/webproj/build/7/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const config = await (await fetch(`${svc.service.url}/config.json`)).json();
    expect(config).toMatchObject({ issuer: `${svc.service.url}/oidc`, clientId: 'copr-local', redirectUri: `${svc.service.url}/login/callback` });
  });

  it('had no JavaScript errors', () => {
    expect(alice.problems).toEqual([]);
    expect(bob.problems).toEqual([]);
    // Only the expected answers failed: no permissions set yet (404), and bob's denied edit (403).
    const allowed = /^(404 \/api_3\/project\/permissions\/get\/|403 \/api_3\/project\/(edit|permissions\/get)\/)/;
    expect([...alice.failedRequests, ...bob.failedRequests].filter((r) => !allowed.test(r))).toEqual([]);
  });
});
