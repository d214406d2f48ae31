import { get } from '../api.js';
import { ProjectFrame } from '../components/project-frame.js';
import { ErrorMessage, Loading, StateBadge } from '../components/ui.js';
import { buildPath, packagePath } from '../paths.js';
import { Link } from '../router.js';
import type { Project } from '../types.js';
import { useLoad } from '../use-api.js';

/** `GET /api_3/monitor`: per package, the newest build chroot in each enabled chroot. */
interface MonitorEntry {
  build_id: number;
  state: string;
  pkg_version: string | null;
}

interface Monitor {
  packages: Array<{ name: string; chroots: Record<string, MonitorEntry> }>;
}

export function MonitorPage({ owner, project }: { owner: string; project: string }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="monitor" title="Monitor">
      {({ project: p }) => <Matrix project={p} />}
    </ProjectFrame>
  );
}

/** Copr's monitor: a package × chroot matrix with the latest build's state in each cell. */
function Matrix({ project: p }: { project: Project }) {
  const res = useLoad(() => get<Monitor>('monitor', { ownername: p.ownername, projectname: p.name }), [p.full_name], {
    pollMs: (d) => (d?.packages.some((x) => Object.values(x.chroots).some((c) => !['succeeded', 'forked', 'failed', 'canceled', 'skipped'].includes(c.state))) ? 10_000 : null),
  });
  const chroots = Object.keys(p.chroot_repos).sort();
  if (res.error) return <ErrorMessage error={res.error} />;
  if (!res.data) return <Loading what="Loading the monitor" />;
  if (res.data.packages.length === 0) return <p class="muted">No builds yet.</p>;
  return (
    <div class="scroll">
      <table class="monitor">
        <caption class="sr-only">Latest build state of each package in each chroot</caption>
        <thead>
          <tr>
            <th scope="col">Package</th>
            {chroots.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {res.data.packages.map((pkg) => (
            <tr key={pkg.name}>
              <th scope="row">
                <Link href={packagePath(p.ownername, p.name, pkg.name)}>{pkg.name}</Link>
              </th>
              {chroots.map((c) => {
                const e = pkg.chroots[c];
                return (
                  <td key={c} data-chroot={c}>
                    {e ? (
                      <Link href={buildPath(p.ownername, p.name, e.build_id)} title={`Build #${e.build_id}`}>
                        <StateBadge state={e.state} /> <span class="small">{e.pkg_version ?? `#${e.build_id}`}</span>
                      </Link>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
