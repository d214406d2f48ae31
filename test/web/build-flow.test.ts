import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildsPlugin } from '../../functions/local/builds-plugin.js';
import { oidcPlugin } from '../../functions/local/oidc-plugin.js';
import { webPlugin } from '../../functions/local/web-plugin.js';
import { startTestService, type TestService } from '../support/service.js';
import {
  chrootRow,
  createProject,
  ensureDashboardBuilt,
  eventually,
  launchBrowser,
  logIn,
  newUser,
  screenshot,
  seriousA11yViolations,
  uploadBuildThroughForm,
  type WebUser,
} from './browser.js';
import { BUILDER_FIXTURES, WEB_FIXTURES, srpmFromSpec } from './srpm.js';

/**
 * A build through the dashboard with real builders (rpmbuild in bubblewrap): upload
 * an SRPM with the form, follow the live log while it grows, see the chroot succeed,
 * copy the `dnf copr enable` line and fetch the `.repo` file; then cancel a running
 * build as its owner, which another user cannot.
 */
const CHROOT = 'fedora-44-x86_64';

describe('Dashboard build flow', () => {
  let svc: TestService;
  let browser: Browser;
  let alice: WebUser;
  let bob: WebUser;
  let work: string;

  beforeAll(async () => {
    process.env.COPR_QUIET = '1';
    ensureDashboardBuilt();
    work = mkdtempSync(join(tmpdir(), 'copr-web-build-'));
    svc = await startTestService({ plugins: [buildsPlugin({ maxBuilders: 2 }), oidcPlugin(), webPlugin()] });
    browser = await launchBrowser();
    alice = await newUser(browser, svc.service.url);
    await alice.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: svc.service.url });
    bob = await newUser(browser, svc.service.url);
    await logIn(alice, 'alice');
    await createProject(alice, 'alice', { name: 'builds', chroots: [CHROOT] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('uploads an SRPM, follows the growing live log and shows the build succeeded', async () => {
    const { page } = alice;
    const srpm = srpmFromSpec(join(WEB_FIXTURES, 'slow-hello.spec'), work);
    const { id, progress } = await uploadBuildThroughForm(alice, 'alice', 'builds', srpm);
    // The form showed its progress bar and it reached 100 % before leaving the page.
    expect(progress[0]).toBe(0);
    expect(progress[progress.length - 1]).toBe(1);

    // While the chroot builds, the log view shows more and more of %build's output.
    const log = page.getByTestId('live-log');
    const steps = async () => ((await log.textContent({ timeout: 1000 }).catch(() => '')) ?? '').match(/^slow-hello step \d+$/gm)?.length ?? 0;
    const first = await eventually('the first lines of the live log', steps, (n) => n > 0 && n < 10);
    await expect.poll(() => chrootRow(page, CHROOT).getByText('running', { exact: true }).count()).toBe(1);
    await screenshot(page, 'build-running');
    expect(await seriousA11yViolations(page), 'axe on a running build').toEqual([]);
    const later = await eventually('the live log to grow', steps, (n) => n > first);
    expect(later).toBeGreaterThan(first);

    // Then the state table says succeeded, in text and in the success colour.
    const state = chrootRow(page, CHROOT).getByText('succeeded', { exact: true });
    await state.waitFor({ timeout: 60_000 });
    expect(await state.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(11, 94, 34)');
    await page.getByRole('heading', { level: 2, name: `Build #${id} succeeded` }).waitFor();
    await chrootRow(page, 'Source (SRPM)').getByText('succeeded', { exact: true }).waitFor();
    // The log stays on screen, now the complete one.
    await log.filter({ hasText: /^slow-hello step 10$/m }).waitFor();
    expect(await steps()).toBe(10);
    await page.waitForLoadState('networkidle');
    expect(await seriousA11yViolations(page), 'axe on a finished build').toEqual([]);
    await screenshot(page, 'build-succeeded');

    const api = await svc.anon.get(`build/${id}`);
    expect(api.body).toMatchObject({ state: 'succeeded', source_package: { name: 'slow-hello' } });
  }, 80_000);

  it('copies the dnf copr enable line and links a .repo file the server serves', async () => {
    const { page } = alice;
    await page.goto('/coprs/alice/builds/');
    await page.getByRole('heading', { level: 1, name: 'alice/builds' }).waitFor();
    const enable = page.getByLabel('Enable this repository');
    await page.locator('.copy').filter({ has: enable }).getByRole('button', { name: 'Copy' }).click();
    await page.locator('.copy').filter({ has: enable }).getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('dnf copr enable alice/builds');

    const href = await page.getByRole('link', { name: 'fedora-44.repo' }).getAttribute('href');
    expect(href).toBe('/coprs/alice/builds/repo/fedora-44/alice-builds-fedora-44.repo');
    const res = await page.request.get(href!);
    expect(res.status()).toBe(200);
    const repo = await res.text();
    expect(repo).toMatch(/^\[copr:[^\]]*:alice:builds\]$/m);
    expect(repo).toMatch(/^baseurl=\S*\/results\/alice\/builds\/fedora-\$releasever-\$basearch\/$/m);
    // The repository it points at exists: the build above was published into it.
    const baseurl = /^baseurl=(\S+)$/m.exec(repo)![1]!.replace('$releasever', '44').replace('$basearch', 'x86_64');
    const repomd = await eventually('repodata of the published build', async () => (await page.request.get(`${baseurl}repodata/repomd.xml`)).status(), (s) => s === 200, 20_000);
    expect(repomd).toBe(200);
  });

  it('lets the owner cancel a running build; another user gets no cancel button', async () => {
    const { page } = alice;
    const srpm = srpmFromSpec(join(BUILDER_FIXTURES, 'sleepy.spec'), work);
    const { id } = await uploadBuildThroughForm(alice, 'alice', 'builds', srpm);
    await page.getByTestId('live-log').filter({ hasText: 'going to sleep' }).waitFor({ timeout: 45_000 });
    await chrootRow(page, CHROOT).getByText('running', { exact: true }).waitFor();

    // bob sees the running build, but the page offers him no way to cancel it.
    await logIn(bob, 'bob');
    const permission = bob.page.waitForResponse((r) => r.url().includes('/api_3/project/permissions/can_build_in/bob/alice/builds'));
    await bob.page.goto(`/coprs/alice/builds/build/${id}/`);
    await bob.page.getByRole('heading', { level: 2, name: `Build #${id} running` }).waitFor();
    await permission;
    await bob.page.getByTestId('live-log').filter({ hasText: 'going to sleep' }).waitFor();
    expect(await bob.page.getByRole('button', { name: 'Cancel build' }).count()).toBe(0);
    expect(await bob.page.getByRole('button', { name: 'Delete' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Cancel build' }).click();
    await page.getByRole('status').filter({ hasText: 'Build canceled.' }).waitFor();
    await page.getByRole('heading', { level: 2, name: `Build #${id} canceled` }).waitFor();
    await chrootRow(page, CHROOT).getByText('canceled', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Cancel build' }).count()).toBe(0);
    await screenshot(page, 'build-canceled');
    const api = await svc.anon.get(`build/${id}`);
    expect(api.body).toMatchObject({ state: 'canceled' });
  }, 60_000);

  it('had no JavaScript errors or unexpected failed requests', () => {
    expect(alice.problems).toEqual([]);
    expect(bob.problems).toEqual([]);
    expect([...alice.failedRequests, ...bob.failedRequests].filter((r) => !/^404 \/results\/.*builder-live\.log/.test(r))).toEqual([]);
  });
});
