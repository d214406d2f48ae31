import type { AppContext } from '../context.js';
import { raw } from '../responses.js';
import type { Route, RouteRequest } from '../router.js';
import { extraDashboardPatterns } from './dashboard-extra-pages.js';
import { withStaticBody } from './escape.js';
import { serverPageFor } from './server-pages.js';

/**
 * The dashboard's page URLs and how the server answers them: the SPA shell (its
 * index.html), with a server-rendered summary inside `<noscript>` for the pages Copr
 * users fetch without a browser (server-pages.ts). The local server answers every page
 * this way (functions/local/web-plugin.ts); on AWS CloudFront sends `/coprs` and
 * `/coprs/*` to the API function, which answers those pages the same way with the shell
 * the stack deployed (`DASHBOARD_SHELL`), so `curl` sees project names there too.
 */

/** Dashboard page URL patterns; keep in step with web/src/routes.ts and web/src/paths.ts. */
const PROJECT_PAGES = ['builds', 'packages', 'edit', 'add_build', 'permissions'];
export function dashboardPagePatterns(): string[] {
  const out = ['/', '/coprs', '/coprs/add', '/status', '/api', '/login/callback', '/coprs/{owner}', '/coprs/g/{group}'];
  for (const owner of ['/coprs/{owner}', '/coprs/g/{group}']) {
    out.push(`${owner}/{project}`);
    for (const p of PROJECT_PAGES) out.push(`${owner}/{project}/${p}`);
    out.push(`${owner}/{project}/build/{build_id}`, `${owner}/{project}/package/{package_name}`);
  }
  out.push(...extraDashboardPatterns());
  return out;
}

/**
 * The patterns under /coprs: what the API answers on AWS. copr-cli's build link
 * `/coprs/build/<id>/` is `/coprs/{owner}/{project}` here (server-pages.ts redirects it).
 */
export function coprsPagePatterns(): string[] {
  return dashboardPagePatterns().filter((p) => p === '/coprs' || p.startsWith('/coprs/'));
}

/** Same-origin only: the SPA talks to this server and its issuer through it. */
export const DASHBOARD_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The response for a dashboard page: the shell, with the server-rendered summary where there is one. */
export async function dashboardPageResponse(shell: string, path: string, ctx: AppContext, csp = DASHBOARD_CSP) {
  const headers = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', 'content-security-policy': csp };
  const server = await serverPageFor(path, ctx);
  if (!server) return raw(200, shell, headers);
  if (server.kind === 'redirect') return raw(302, '', { location: server.location, 'cache-control': 'no-cache' });
  return raw(server.status, withStaticBody(shell, server.body), headers);
}

/** GET routes answering `patterns` with the shell `shell()` returns (null: not built → 503). */
export function dashboardPageRoutes(patterns: readonly string[], shell: () => string | null): Route[] {
  const handler = async (req: RouteRequest, ctx: AppContext) => {
    const html = shell();
    if (html === null) {
      return raw(503, 'The dashboard is not built. Run: npm run build:web\n', { 'content-type': 'text/plain; charset=utf-8' });
    }
    return dashboardPageResponse(html, req.path, ctx);
  };
  return patterns.map((path): Route => ({ method: 'GET', path, handler }));
}
