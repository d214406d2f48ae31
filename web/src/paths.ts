/**
 * Copr's web URLs (upstream frontend): users at `/coprs/<user>/`, groups at
 * `/coprs/g/<group>/` (the API name is `@<group>`).
 */
export function ownerPath(ownername: string): string {
  return ownername.startsWith('@') ? `/coprs/g/${encodeURIComponent(ownername.slice(1))}/` : `/coprs/${encodeURIComponent(ownername)}/`;
}

export function projectPath(ownername: string, project: string, page = ''): string {
  return `${ownerPath(ownername)}${encodeURIComponent(project)}/${page ? `${page}/` : ''}`;
}

export function buildPath(ownername: string, project: string, id: number): string {
  return projectPath(ownername, project, `build/${id}`);
}

export function packagePath(ownername: string, project: string, name: string, page = ''): string {
  return projectPath(ownername, project, `package/${encodeURIComponent(name)}${page ? `/${page}` : ''}`);
}

/** `name_release` of a chroot: everything before the last `-` (the arch). */
export function nameRelease(chroot: string): string {
  const i = chroot.lastIndexOf('-');
  return i > 0 ? chroot.slice(0, i) : chroot;
}

/** The `.repo` file URL dnf's copr plugin and users download (spec §4.10). */
export function repoFilePath(ownername: string, project: string, nr: string): string {
  const fileOwner = ownername.startsWith('@') ? `group_${ownername.slice(1)}` : ownername;
  return projectPath(ownername, project, `repo/${encodeURIComponent(nr)}`) + `${fileOwner}-${project}-${nr}.repo`;
}

export type StatusKind = 'all' | 'pending' | 'running' | 'importing' | 'stats';
const STATUS_KINDS: readonly StatusKind[] = ['pending', 'running', 'importing', 'stats'];

export type Route =
  | { page: 'home' }
  | { page: 'projects' }
  | { page: 'user-info' }
  | { page: 'status'; kind: StatusKind }
  | { page: 'api' }
  | { page: 'callback' }
  | { page: 'new-project' }
  | { page: 'owner'; owner: string }
  | { page: 'project' | 'builds' | 'packages' | 'edit' | 'add-build' | 'monitor' | 'integrations' | 'repositories' | 'delete'; owner: string; project: string }
  | { page: 'build'; owner: string; project: string; id: number }
  | { page: 'package' | 'package-rebuild' | 'package-edit'; owner: string; project: string; name: string }
  | { page: 'not-found' };

const PROJECT_PAGES: Record<string, 'builds' | 'packages' | 'edit' | 'add-build' | 'monitor' | 'integrations' | 'repositories' | 'delete'> = {
  builds: 'builds',
  packages: 'packages',
  edit: 'edit',
  permissions: 'edit',
  add_build: 'add-build',
  monitor: 'monitor',
  integrations: 'integrations',
  repositories: 'repositories',
  delete: 'delete',
};

/** URL → page; keep in step with functions/api/html/dashboard-pages.ts and dashboard-extra-pages.ts. */
export function matchRoute(path: string): Route {
  let segs: string[];
  try {
    segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return { page: 'not-found' };
  }
  if (segs.length === 0) return { page: 'home' };
  const [first, ...rest] = segs;
  if (segs.length === 1 && first === 'status') return { page: 'status', kind: 'all' };
  if (segs.length === 2 && first === 'status') {
    const kind = STATUS_KINDS.find((k) => k === rest[0]);
    return kind ? { page: 'status', kind } : { page: 'not-found' };
  }
  if (segs.length === 2 && first === 'user' && rest[0] === 'info') return { page: 'user-info' };
  if (segs.length === 1 && first === 'coprs') return { page: 'projects' };
  if (segs.length === 1 && first === 'api') return { page: 'api' };
  if (segs.length === 2 && first === 'login' && rest[0] === 'callback') return { page: 'callback' };
  if (first !== 'coprs') return { page: 'not-found' };
  // `/coprs/` is upstream's project list: the home page.
  if (rest.length === 0) return { page: 'home' };
  if (rest.length === 1 && rest[0] === 'add') return { page: 'new-project' };
  let owner: string;
  let tail: string[];
  if (rest[0] === 'g' && rest.length >= 2) {
    owner = `@${rest[1]}`;
    tail = rest.slice(2);
  } else {
    owner = rest[0]!;
    tail = rest.slice(1);
  }
  const [project, page, arg, ...extra] = tail;
  if (project === undefined) return { page: 'owner', owner };
  if (page === 'package' && arg !== undefined && extra.length === 1) {
    if (extra[0] === 'rebuild') return { page: 'package-rebuild', owner, project, name: arg };
    if (extra[0] === 'edit') return { page: 'package-edit', owner, project, name: arg };
  }
  if (extra.length > 0) return { page: 'not-found' };
  if (page === undefined) return { page: 'project', owner, project };
  if (arg === undefined) {
    const p = PROJECT_PAGES[page];
    return p ? { page: p, owner, project } : { page: 'not-found' };
  }
  if (page === 'build' && /^\d+$/.test(arg)) return { page: 'build', owner, project, id: Number(arg) };
  if (page === 'package') return { page: 'package', owner, project, name: arg };
  return { page: 'not-found' };
}
