import type { ComponentChildren } from 'preact';
import { get } from '../api.js';
import { useSession, type Session } from '../auth.js';
import { ownerPath, projectPath } from '../paths.js';
import { useCanBuild } from '../permissions.js';
import { Link } from '../router.js';
import { useTitle } from '../title.js';
import type { Project } from '../types.js';
import { useLoad } from '../use-api.js';
import { ErrorMessage, Loading } from './ui.js';

export interface ProjectView {
  project: Project;
  session: Session | null;
  canBuild: boolean;
  reloadProject: () => void;
}

type Tab = 'overview' | 'builds' | 'packages' | 'monitor' | 'repositories' | 'add-build' | 'edit' | 'integrations' | 'delete' | 'build' | 'package';

/** Breadcrumb, heading and tabs shared by every project page; loads the project once. */
export function ProjectFrame({ owner, project, tab, title, children }: { owner: string; project: string; tab: Tab; title: string; children: (v: ProjectView) => ComponentChildren }) {
  const session = useSession();
  const res = useLoad(() => get<Project>('project', { ownername: owner, projectname: project }), [owner, project]);
  const canBuild = useCanBuild(session, owner, project);
  useTitle(`${title} - ${owner}/${project}`);
  const tabs: Array<[Tab, string, string, boolean]> = [
    ['overview', 'Overview', projectPath(owner, project), true],
    ['builds', 'Builds', projectPath(owner, project, 'builds'), true],
    ['packages', 'Packages', projectPath(owner, project, 'packages'), true],
    ['monitor', 'Monitor', projectPath(owner, project, 'monitor'), true],
    ['repositories', 'Repositories', projectPath(owner, project, 'repositories'), true],
    ['add-build', 'New build', projectPath(owner, project, 'add_build'), canBuild],
    ['edit', 'Settings', projectPath(owner, project, 'edit'), session !== null],
    ['integrations', 'Integrations', projectPath(owner, project, 'integrations'), session !== null],
    ['delete', 'Delete', projectPath(owner, project, 'delete'), session !== null],
  ];
  return (
    <>
      <nav aria-label="Breadcrumb" class="crumbs">
        <Link href={ownerPath(owner)}>{owner}</Link> / <Link href={projectPath(owner, project)}>{project}</Link>
      </nav>
      <h1 tabIndex={-1}>
        {owner}/{project}
        {tab !== 'overview' ? <span class="sub"> · {title}</span> : null}
      </h1>
      <nav aria-label="Project" class="tabs">
        {tabs
          .filter((t) => t[3])
          .map(([id, label, href]) => (
            <Link key={id} href={href} aria-current={id === tab ? 'page' : undefined}>
              {label}
            </Link>
          ))}
      </nav>
      {res.error ? <ErrorMessage error={res.error} /> : null}
      {!res.data && !res.error ? <Loading what="Loading project" /> : null}
      {res.data ? children({ project: res.data, session, canBuild, reloadProject: res.reload }) : null}
    </>
  );
}
