/**
 * More of Copr's web URLs the dashboard answers (issue 15): the all-projects list, a
 * project's monitor, integrations, repositories and delete pages, a package's rebuild
 * and edit pages, the user page and the status pages. Their server patterns, added to
 * dashboard-pages.ts's list; keep in step with web/src/paths.ts.
 */
const PROJECT_PAGES = ['monitor', 'integrations', 'repositories', 'delete'];
const PACKAGE_PAGES = ['rebuild', 'edit'];
export const STATUS_PAGES = ['pending', 'running', 'importing', 'stats'];

export function extraDashboardPatterns(): string[] {
  const out = ['/user/info', ...STATUS_PAGES.map((s) => `/status/${s}`)];
  for (const owner of ['/coprs/{owner}', '/coprs/g/{group}']) {
    for (const p of PROJECT_PAGES) out.push(`${owner}/{project}/${p}`);
    for (const p of PACKAGE_PAGES) out.push(`${owner}/{project}/package/{package_name}/${p}`);
  }
  return out;
}
