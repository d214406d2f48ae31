import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildsPlugin } from '../../functions/local/builds-plugin.js';
import { oidcPlugin } from '../../functions/local/oidc-plugin.js';
import { webPlugin } from '../../functions/local/web-plugin.js';
import { startTestService, type TestService } from '../support/service.js';
import { createProject, ensureDashboardBuilt, launchBrowser, logIn, newUser, screenshot, seriousA11yViolations, type WebUser } from './browser.js';

/**
 * Package source settings in the dashboard: an editor adds an SCM package from the
 * packages page and edits it on the package page (the API shows the change), an
 * invalid value shows the server's error and changes nothing, and a user who may not
 * edit the project sees no forms.
 */
describe('Dashboard package editing', () => {
  let svc: TestService;
  let browser: Browser;
  let alice: WebUser;
  let bob: WebUser;
  const PKG_PAGE = '/coprs/alice/pkgs/package/hello/';

  const sourceOf = async () => {
    const res = await svc.anon.get('package', { ownername: 'alice', projectname: 'pkgs', packagename: 'hello' });
    expect(res.status).toBe(200);
    return res.body as { source_type: string; source_dict: Record<string, unknown>; auto_rebuild: boolean };
  };

  beforeAll(async () => {
    process.env.COPR_QUIET = '1';
    ensureDashboardBuilt();
    svc = await startTestService({ plugins: [buildsPlugin(), oidcPlugin(), webPlugin()] });
    browser = await launchBrowser();
    alice = await newUser(browser, svc.service.url);
    bob = await newUser(browser, svc.service.url);
    await logIn(alice, 'alice');
    await createProject(alice, 'alice', { name: 'pkgs', chroots: ['fedora-rawhide-x86_64'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await svc?.stop();
  });

  it('lets the owner add an SCM package from the packages page', async () => {
    const { page } = alice;
    await page.goto('/coprs/alice/pkgs/packages/');
    const toggle = page.getByRole('button', { name: 'Add package' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    const form = page.getByRole('form', { name: 'New package' });
    await form.getByLabel('Package name').fill('hello');
    await form.getByRole('radio', { name: 'SCM' }).check();
    await form.getByLabel('Clone URL').fill('https://example.com/hello.git');
    await form.getByLabel('Spec file').fill('hello.spec');
    expect(await seriousA11yViolations(page), 'axe on the new package form').toEqual([]);
    await form.getByRole('button', { name: 'Add package' }).click();
    await page.waitForURL(`**${PKG_PAGE}`);
    await page.getByRole('heading', { level: 2, name: 'Edit package' }).waitFor();
    expect(await sourceOf()).toMatchObject({
      source_type: 'scm',
      source_dict: { clone_url: 'https://example.com/hello.git', spec: 'hello.spec', type: 'git', source_build_method: 'rpkg', committish: '' },
      auto_rebuild: false,
    });
  });

  it('saves an edited clone URL and committish, and the API shows them', async () => {
    const { page } = alice;
    await page.goto(PKG_PAGE);
    const form = page.getByRole('form', { name: 'Edit package' });
    // The form starts from the stored source.
    await expect.poll(() => form.getByLabel('Clone URL').inputValue()).toBe('https://example.com/hello.git');
    expect(await form.getByLabel('Spec file').inputValue()).toBe('hello.spec');
    await form.getByLabel('Clone URL').fill('https://example.org/other/hello.git');
    await form.getByLabel('Committish').fill('v1.2');
    await form.getByLabel('SRPM build method').selectOption('make_srpm');
    await form.getByLabel('Rebuild on webhook').check();
    // Keyboard only: Enter in a text field submits the form.
    await form.getByLabel('Committish').press('Enter');
    await page.getByRole('status').filter({ hasText: 'Package saved.' }).waitFor();
    // The source facts above the form show the saved values.
    await page.getByRole('definition').filter({ hasText: 'https://example.org/other/hello.git' }).waitFor();
    expect(await sourceOf()).toMatchObject({
      source_type: 'scm',
      source_dict: { clone_url: 'https://example.org/other/hello.git', committish: 'v1.2', spec: 'hello.spec', source_build_method: 'make_srpm' },
      auto_rebuild: true,
    });
    expect(await seriousA11yViolations(page), 'axe on the package page').toEqual([]);
    await screenshot(page, 'package-edit');
  });

  it("shows the server's error for an invalid clone URL and changes nothing", async () => {
    const { page } = alice;
    await page.goto(PKG_PAGE);
    const form = page.getByRole('form', { name: 'Edit package' });
    await expect.poll(() => form.getByLabel('Clone URL').inputValue()).toBe('https://example.org/other/hello.git');
    await form.getByLabel('Clone URL').fill('ftp://example.org/hello.git');
    await form.getByLabel('Committish').fill('v9');
    await form.getByRole('button', { name: 'Save package' }).click();
    const alert = form.getByRole('alert').filter({ hasText: 'Not saved' });
    await alert.waitFor();
    expect(await alert.getByRole('listitem').allTextContents()).toEqual(['clone_url: Invalid URL (http://, https:// or git://)']);
    expect(await form.getByLabel('Clone URL').getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByLabel('Committish').getAttribute('aria-invalid')).toBeNull();
    expect(await page.getByRole('status').filter({ hasText: 'Package saved.' }).count()).toBe(0);
    expect(await seriousA11yViolations(page), 'axe with a form error').toEqual([]);
    await screenshot(page, 'package-edit-error');
    expect((await sourceOf()).source_dict).toMatchObject({ clone_url: 'https://example.org/other/hello.git', committish: 'v1.2' });
  });

  it('shows no edit or add form to a user who may not edit the project', async () => {
    await logIn(bob, 'bob');
    const { page } = bob;
    await page.goto(PKG_PAGE);
    await page.getByRole('definition').filter({ hasText: 'https://example.org/other/hello.git' }).waitFor();
    // The permission probe (a 403 for bob) has answered once the network is idle.
    await page.waitForLoadState('networkidle');
    await expect.poll(() => bob.failedRequests.some((r) => r.startsWith('403 /api_3/project/permissions/get/'))).toBe(true);
    expect(await page.getByRole('heading', { name: 'Edit package' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save package' }).count()).toBe(0);
    await page.goto('/coprs/alice/pkgs/packages/');
    await page.getByRole('link', { name: 'hello' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByRole('button', { name: 'Add package' }).count()).toBe(0);
  });

  it('had no JavaScript errors and only the expected failed requests', () => {
    expect([...alice.problems, ...bob.problems]).toEqual([]);
    expect(alice.failedRequests).toEqual(['400 /api_3/package/edit/alice/pkgs/hello/scm']);
    expect(bob.failedRequests.every((r) => r.startsWith('403 /api_3/project/permissions/get/alice/pkgs'))).toBe(true);
  });
});
