import { buildPath, ownerPath, packagePath, projectPath } from '../paths.js';
import { Link } from '../router.js';
import type { Build, Project } from '../types.js';
import { Duration, StateBadge, Time } from './ui.js';

export function BuildTable({ builds, showProject = false, caption }: { builds: Build[]; showProject?: boolean; caption: string }) {
  if (builds.length === 0) return <p class="muted">No builds yet.</p>;
  return (
    <div class="scroll">
      <table>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Build</th>
            {showProject ? <th scope="col">Project</th> : null}
            <th scope="col">Package</th>
            <th scope="col">Version</th>
            <th scope="col">State</th>
            <th scope="col">Submitted</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {builds.map((b) => (
            <tr key={b.id}>
              <td>
                <Link href={buildPath(b.ownername, b.projectname, b.id)}>#{b.id}</Link>
              </td>
              {showProject ? (
                <td>
                  <Link href={projectPath(b.ownername, b.projectname)}>
                    {b.ownername}/{b.projectname}
                  </Link>
                </td>
              ) : null}
              <td>{b.source_package.name ? <Link href={packagePath(b.ownername, b.projectname, b.source_package.name)}>{b.source_package.name}</Link> : <span class="muted">—</span>}</td>
              <td>{b.source_package.version ?? <span class="muted">—</span>}</td>
              <td>
                <StateBadge state={b.state} />
              </td>
              <td>
                <Time at={b.submitted_on} />
              </td>
              <td>
                <Duration from={b.started_on} to={b.ended_on} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ProjectList({ projects, showOwner = true }: { projects: Project[]; showOwner?: boolean }) {
  if (projects.length === 0) return <p class="muted">No projects.</p>;
  return (
    <ul class="cards">
      {projects.map((p) => (
        <li key={p.id}>
          <h3>
            {showOwner ? (
              <>
                <Link href={ownerPath(p.ownername)}>{p.ownername}</Link> /{' '}
              </>
            ) : null}
            <Link href={projectPath(p.ownername, p.name)}>{p.name}</Link>
          </h3>
          <p>{p.description ? truncate(p.description, 200) : <span class="muted">No description.</span>}</p>
          <p class="muted small">{Object.keys(p.chroot_repos).length} chroots</p>
        </li>
      ))}
    </ul>
  );
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
