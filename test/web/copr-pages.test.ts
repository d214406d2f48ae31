import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitBuild } from '../../functions/core/builds.js';
import type { User } from '../../functions/core/model.js';
import { oidcPlugin } from '../../functions/local/oidc-plugin.js';
import { webPlugin } from '../../functions/local/web-plugin.js';
import { completeSrpm, finishRpm, finishSrpm, newRecorder, recordingBuildsPlugin, startTask } from '../api/build-support.js';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';
import { ensureDashboardBuilt, launchBrowser, logIn, newUser, visit, type WebUser } from './browser.js';

/**
 * Copr's web URLs that people and scripts use, each loaded directly in Chromium against
 * the real local service: all projects, a project's monitor, repositories, integrations
 * and delete pages (user and group projects), a package's rebuild and edit pages,
 * /user/info, the status pages with the queue, and the /rss feed. Builders are played
 * through the lifecycle functions (build-support.ts), so every state is known.
 */
describe('Copr web pages', () => {
  let svc: TestService;
  let browser: Browser;
  let alice: WebUser;
  let api: CoprClient;
  let user: User;
  const rec = newRecorder();
  const ids: Record<string, number> = {};

  const submit = async (projectname: string, ownername = 'alice') =>
    submitBuild(rec.deps!, { user }, { ownername, projectname, source_type: 'link', source_dict: { url: 'https://example.com/hello-1.0-1.src.rpm' }, options: {} });

  beforeAll(async () => {
    process.env.COPR_QUIET = '1';
    ensureDashboardBuilt();
    svc = await startTestService({ plugins: [recordingBuildsPlugin(rec), oidcPlugin(), webPlugin()] });
    api = await svc.user('alice', { groups: ['team'] });
    user = (await svc.service.ctx.store.getUser('alice'))!;
    for (const [owner, name, chroots] of [
      ['alice', 'pages', ['fedora-44-x86_64', 'epel-10-x86_64']],
      ['@team', 'gp', ['fedora-44-x86_64']],
      ['alice', 'doomed', ['fedora-44-x86_64']],
      ['alice', 'hidden', ['fedora-44-x86_64']],
    ] as const) {
      expect((await createProject(api, owner, name, { chroots: [...chroots], unlisted_on_hp: name === 'hidden' })).status).toBe(200);
    }
    const added = await api.send('POST', 'package/add/alice/pages/hello/scm', {
      query: { ownername: 'alice', projectname: 'pages', package_name: 'hello', source_type_text: 'scm' },
      json: { package_name: 'hello', clone_url: 'https://example.com/hello.git' },
    });
    expect(added.status).toBe(200);
    const deps = rec.deps!;
    // hello: succeeded in fedora-44, still pending in epel-10 (its task waits in the queue).
    const b1 = await submit('pages');
    await finishSrpm(deps, b1, 'hello');
    await finishRpm(deps, b1.id, 'fedora-44-x86_64', 'succeeded', [{ name: 'hello', epoch: null, version: '1.0', release: '1', arch: 'x86_64' }]);
    ids.hello = b1.id;
    // A build whose source stage is running, and one whose version needs escaping in XML.
    const b2 = await submit('pages');
    await startTask(deps, String(b2.id));
    ids.srpmRunning = b2.id;
    const b3 = await submit('gp', '@team');
    await completeSrpm(deps, await startTask(deps, String(b3.id)), 'odd', '2<&>"x', '1');
    ids.odd = b3.id;
    // A finished build of an unlisted project: it stays off the feed.
    const b4 = await submit('hidden');
    await finishSrpm(deps, b4, 'secret');
    await finishRpm(deps, b4.id, 'fedora-44-x86_64', 'succeeded');
    ids.hidden = b4.id;

    browser = await launchBrowser();
    alice = await newUser(browser, svc.service.url);
    await logIn(alice, 'alice');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
  });

  it('/coprs/ lists every project', async () => {
    await visit(alice, '/coprs/', 'All projects', 'all-projects');
    const { page } = alice;
    await page.getByRole('link', { name: 'pages', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'gp', exact: true }).getAttribute('href')).toBe('/coprs/g/team/gp/');
  });

  it('the monitor shows each package with the latest state per chroot', async () => {
    await visit(alice, '/coprs/alice/pages/monitor/', /alice\/pages · Monitor/, 'monitor');
    const row = alice.page.getByRole('row').filter({ has: alice.page.getByRole('rowheader', { name: 'hello' }) });
    await expect.poll(() => row.locator('td[data-chroot="fedora-44-x86_64"] .state').textContent()).toBe('succeeded');
    expect(await row.locator('td[data-chroot="epel-10-x86_64"] .state').textContent()).toBe('pending');
    expect(await row.locator('td[data-chroot="fedora-44-x86_64"] a').getAttribute('href')).toBe(`/coprs/alice/pages/build/${ids.hello}/`);
    // The group project's monitor, by its /coprs/g/ URL.
    await alice.page.goto('/coprs/g/team/gp/monitor/');
    const odd = alice.page.getByRole('row').filter({ has: alice.page.getByRole('rowheader', { name: 'odd' }) });
    await expect.poll(() => odd.locator('td[data-chroot="fedora-44-x86_64"] .state').textContent()).toBe('pending');
  });

  it('repositories lists each chroot with its repository and a .repo file that answers', async () => {
    await visit(alice, '/coprs/g/team/gp/repositories/', /@team\/gp · Repositories/, 'repositories');
    const row = alice.page.getByRole('row').filter({ has: alice.page.getByRole('rowheader', { name: 'fedora-44-x86_64' }) });
    await row.waitFor();
    expect(await row.getByRole('link').first().getAttribute('href')).toMatch(/\/results\/@team\/gp\/fedora-44-x86_64\/?$/);
    const href = await row.getByRole('link', { name: 'fedora-44.repo' }).getAttribute('href');
    expect(href).toBe('/coprs/g/team/gp/repo/fedora-44/group_team-gp-fedora-44.repo');
    const repo = await fetch(`${svc.service.url}${href}`);
    expect(repo.status).toBe(200);
    expect(await repo.text()).toContain('[copr:');
  });

  it('integrations shows the webhook URLs with the secret to an editor', async () => {
    await visit(alice, '/coprs/alice/pages/integrations/', /alice\/pages · Integrations/, 'integrations-empty');
    const { page } = alice;
    await page.getByRole('button', { name: 'Generate webhook secret' }).click();
    const github = page.getByLabel('GitHub webhook URL');
    await github.waitFor();
    const project = (await svc.service.ctx.store.getProject('alice', 'pages'))!;
    expect(project.webhook_secret).toMatch(/^[0-9a-f-]{36}$/);
    const base = `${svc.service.url}/webhooks`;
    expect((await github.textContent())?.trim()).toBe(`${base}/github/${project.id}/${project.webhook_secret}/`);
    expect((await page.getByLabel('GitLab webhook URL').textContent())?.trim()).toBe(`${base}/gitlab/${project.id}/${project.webhook_secret}/`);
    expect((await page.getByLabel('Bitbucket webhook URL').textContent())?.trim()).toBe(`${base}/bitbucket/${project.id}/${project.webhook_secret}/`);
    expect((await page.getByLabel('Pagure webhook URL').textContent())?.trim()).toBe(`${base}/pagure/${project.id}/${project.webhook_secret}/`);
    expect((await page.getByLabel('Custom webhook URL').textContent())?.trim()).toBe(`${base}/custom/${project.id}/${project.webhook_secret}/PACKAGE_NAME/`);
    expect((await page.getByLabel('Webhook secret', { exact: true }).textContent())?.trim()).toBe(project.webhook_secret);
    // The read is for editors only; anonymous callers get Copr's 401 shape.
    const anon = await svc.anon.get(`webhook/secret/alice/pages`);
    expect(anon.status).toBe(401);
  });

  it('the package rebuild page submits a build of the package; the edit page shows its form', async () => {
    const { page } = alice;
    await visit(alice, '/coprs/alice/pages/package/hello/rebuild', /alice\/pages · Rebuild hello/, 'package-rebuild');
    const form = page.getByRole('form', { name: 'Rebuild package' });
    await form.getByRole('checkbox', { name: 'epel-10-x86_64' }).uncheck();
    await form.getByRole('button', { name: 'Rebuild' }).click();
    await page.waitForURL(/\/coprs\/alice\/pages\/build\/\d+\/$/);
    const id = Number(/\/build\/(\d+)\/$/.exec(page.url())![1]);
    expect(id).toBeGreaterThan(ids.hidden!);
    const build = (await rec.deps!.builds.getBuild(id))!;
    expect(build).toMatchObject({ package_name: 'hello', ownername: 'alice', projectname: 'pages', chroots_requested: ['fedora-44-x86_64'] });

    await page.goto('/coprs/alice/pages/package/hello/edit');
    const edit = page.getByRole('form', { name: 'Edit package' });
    await expect.poll(() => edit.getByLabel('Clone URL').inputValue()).toBe('https://example.com/hello.git');
  });

  it('/user/info shows the signed-in user, their groups and the API token page', async () => {
    await visit(alice, '/user/info', 'User information', 'user-info');
    const { page } = alice;
    await page.getByRole('list', { name: 'Groups' }).getByRole('link', { name: '@team' }).waitFor();
    expect(await page.getByRole('definition').filter({ hasText: 'get a new API token' }).getByRole('link').getAttribute('href')).toBe('/api/');
    await page.getByRole('list', { name: 'Your projects' }).getByRole('link', { name: 'pages' }).waitFor();
  });

  it('the status pages list the queue: pending, running, importing and statistics', async () => {
    const { page } = alice;
    await visit(alice, '/status/pending/', 'Pending tasks', 'status-pending');
    const pending = page.getByRole('table', { name: 'pending tasks' });
    await pending.getByRole('row').filter({ hasText: 'epel-10-x86_64' }).getByRole('link', { name: `#${ids.hello}` }).waitFor();

    await page.goto('/status/running/');
    await page.getByRole('table', { name: 'running tasks' }).getByRole('link', { name: `#${ids.srpmRunning}` }).waitFor();

    await page.goto('/status/importing/');
    const importing = page.getByRole('table', { name: 'importing tasks' });
    await importing.getByRole('row').filter({ hasText: 'srpm-builds' }).getByRole('link', { name: `#${ids.srpmRunning}` }).waitFor();

    await page.goto('/status/stats/');
    const perOwner = page.getByRole('table', { name: 'Tasks per owner' });
    // alice: epel-10 of hello and the rebuild's SRPM pending, the SRPM of the second build running.
    const aliceRow = perOwner.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'alice' }) });
    await expect.poll(() => aliceRow.getByRole('cell').allTextContents()).toEqual(['2', '0', '1']);
  });

  it('the delete page deletes the project after confirmation', async () => {
    const { page } = alice;
    await visit(alice, '/coprs/alice/doomed/delete/', /alice\/doomed · Delete/, 'delete');
    const form = page.getByRole('form', { name: 'Delete project' });
    expect(await form.getByRole('button', { name: 'Delete project' }).isDisabled()).toBe(true);
    await form.getByRole('checkbox').check();
    await form.getByRole('button', { name: 'Delete project' }).click();
    await page.waitForURL('**/coprs/alice/');
    expect(await svc.service.ctx.store.getProject('alice', 'doomed')).toBeNull();
  });

  it('/rss is an RSS 2.0 feed of the new builds, escaped', async () => {
    const res = await fetch(`${svc.service.url}/rss`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    const xml = await res.text();
    // Parsed by Chromium's XML parser: a parse error would show as <parsererror>.
    const feed = await alice.page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'application/xml');
      return {
        error: doc.getElementsByTagName('parsererror').length > 0,
        root: doc.documentElement.nodeName,
        version: doc.documentElement.getAttribute('version'),
        items: Array.from(doc.getElementsByTagName('item')).map((i) => ({
          title: i.getElementsByTagName('title')[0]?.textContent ?? '',
          link: i.getElementsByTagName('link')[0]?.textContent ?? '',
          pubDate: i.getElementsByTagName('pubDate')[0]?.textContent ?? '',
        })),
      };
    }, xml);
    expect(feed).toMatchObject({ error: false, root: 'rss', version: '2.0' });
    const hello = feed.items.find((i) => i.link === `${svc.service.url}/coprs/alice/pages/build/${ids.hello}/`);
    expect(hello?.title).toBe(`alice/pages: build #${ids.hello} of hello 1.0-1`);
    expect(Number.isNaN(Date.parse(hello?.pubDate ?? ''))).toBe(false);
    const odd = feed.items.find((i) => i.link === `${svc.service.url}/coprs/g/team/gp/build/${ids.odd}/`);
    expect(odd?.title).toBe(`@team/gp: build #${ids.odd} of odd 2<&>"x-1`);
    expect(xml).toContain('2&lt;&amp;&gt;&quot;x-1');
    expect(feed.items.some((i) => i.link.includes('/hidden/'))).toBe(false);
    expect(feed.items.some((i) => i.link.endsWith(`/build/${ids.hidden}/`))).toBe(false);
  });

  it('answers 200 with the dashboard for every one of these URLs, user and group projects alike', async () => {
    const urls = ['/coprs/', '/user/info', '/status/pending/', '/status/running/', '/status/importing/', '/status/stats/'];
    for (const p of ['/coprs/alice/pages', '/coprs/g/team/gp']) {
      urls.push(`${p}/monitor/`, `${p}/integrations/`, `${p}/repositories/`, `${p}/delete/`, `${p}/package/hello/rebuild`, `${p}/package/hello/edit`);
    }
    for (const u of urls) {
      const res = await fetch(`${svc.service.url}${u}`);
      expect(`${u} ${res.status} ${res.headers.get('content-type')}`).toBe(`${u} 200 text/html; charset=utf-8`);
      expect(await res.text()).toContain('<div id="app">');
    }
  });

  it('had no JavaScript errors and only the expected failed requests', () => {
    expect(alice.problems).toEqual([]);
    // The permission probe answers 404 ("no permissions set") for the owner's own project.
    expect(alice.failedRequests.filter((r) => !r.startsWith('404 /api_3/project/permissions/get/'))).toEqual([]);
  });
});
