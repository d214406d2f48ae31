import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Drives the dashboard in Debian's Chromium (never a downloaded browser) against a
 * real local service. Tests build on these steps; later ones (upload a build, follow
 * its live log) add more helpers here.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');

/** Builds web/dist when it is missing or stale (no-op otherwise). */
export function ensureDashboardBuilt(): void {
  execFileSync('bash', [join(ROOT, 'scripts/build-web.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A browser user: one context (own storage) and one page, with its console problems recorded. */
export interface WebUser {
  context: BrowserContext;
  page: Page;
  /** JS errors and console.error messages, except resource-load lines (asserted separately). */
  problems: string[];
  /** URLs that answered with an error status, with the status. */
  failedRequests: string[];
}

export async function newUser(browser: Browser, baseURL: string, viewport = { width: 1280, height: 900 }): Promise<WebUser> {
  const context = await browser.newContext({ baseURL, viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  const failedRequests: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium logs every 4xx/5xx response as a console error; those are tracked per URL below.
    if (msg.text().startsWith('Failed to load resource')) return;
    problems.push(`console: ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) failedRequests.push(`${res.status()} ${new URL(res.url()).pathname}`);
  });
  return { context, page, problems, failedRequests };
}

/** Logs in through the real authorization-code + PKCE flow of the local issuer. */
export async function logIn(user: WebUser, username: string): Promise<void> {
  const { page } = user;
  await page.goto('/');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/oidc\/authorize\?/);
  await page.getByLabel('Username').fill(username);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('whoami').filter({ hasText: username }).waitFor();
}

export interface NewProject {
  name: string;
  chroots: string[];
  description?: string;
}

/** Creates a project through the /coprs/add/ form and waits for its overview page. */
export async function createProject(user: WebUser, owner: string, p: NewProject): Promise<void> {
  const { page } = user;
  await page.goto('/coprs/add/');
  await page.getByLabel('Project name').fill(p.name);
  if (p.description) await page.getByLabel('Description').fill(p.description);
  for (const c of p.chroots) await page.getByRole('checkbox', { name: c, exact: true }).check();
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL(`**/coprs/${owner}/${p.name}/`);
  await page.getByRole('heading', { level: 1, name: `${owner}/${p.name}` }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core in the page; returns serious and critical violations. */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  // evaluate() runs outside the page's CSP, which forbids inline scripts.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Opens a page, waits for its heading, checks accessibility and saves a screenshot. */
export async function visit(user: WebUser, path: string, heading: string | RegExp, shot: string): Promise<void> {
  await user.page.goto(path);
  await user.page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await user.page.waitForLoadState('networkidle');
  expect(await seriousA11yViolations(user.page), `axe on ${path}`).toEqual([]);
  await screenshot(user.page, shot);
}

/** What the new-build form showed while uploading, and where it led. */
export interface UploadedBuild {
  id: number;
  /** Every value the form's upload progress bar took (0..1), in order. */
  progress: number[];
}

/**
 * Uploads a package file through the new-build form (Upload tab: file input, progress
 * bar, multipart XHR) and waits for the build page it navigates to.
 */
export async function uploadBuildThroughForm(user: WebUser, owner: string, project: string, file: string): Promise<UploadedBuild> {
  const { page } = user;
  await page.goto(`/coprs/${owner}/${project}/add_build/`);
  await page.getByRole('radio', { name: 'Upload' }).check();
  await page.getByLabel('Package file').setInputFiles(file);
  // The bar lives only until the form navigates away: record its values as they change.
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { uploadProgress: number[] }).uploadProgress = seen;
    const record = () => {
      const bar = document.querySelector('progress#b-progress');
      if (bar instanceof HTMLProgressElement && seen[seen.length - 1] !== bar.value) seen.push(bar.value);
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['value'] });
  });
  await page.getByRole('button', { name: 'Submit build' }).click();
  await page.waitForURL(new RegExp(`/coprs/${owner}/${project}/build/\\d+/$`));
  const id = Number(/\/build\/(\d+)\/$/.exec(page.url())![1]);
  await page.getByRole('heading', { level: 2, name: new RegExp(`^Build #${id}`) }).waitFor();
  const progress = await page.evaluate(() => (window as unknown as { uploadProgress: number[] }).uploadProgress);
  return { id, progress };
}

/** The row of a chroot ('srpm-builds' shows as "Source (SRPM)") in the build page's state table. */
export function chrootRow(page: Page, chroot: string) {
  return page.getByRole('table', { name: 'State of each chroot' }).getByRole('row').filter({ has: page.getByRole('rowheader', { name: chroot, exact: true }) });
}

/** Polls `read` until `ok` holds for its value; no fixed sleeps. */
export async function eventually<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
