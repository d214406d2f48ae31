import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { PackageForm } from '../components/package-form.js';
import { ProjectFrame, type ProjectView } from '../components/project-frame.js';
import { ErrorMessage, Loading, Pager, StateBadge, Time } from '../components/ui.js';
import { buildPath, packagePath, projectPath } from '../paths.js';
import { useCanEdit } from '../permissions.js';
import { Link, navigate } from '../router.js';
import type { Package, Paginated } from '../types.js';
import { useLoad } from '../use-api.js';

const PAGE_SIZE = 50;

export function PackagesPage({ owner, project, query }: { owner: string; project: string; query: URLSearchParams }) {
  const page = Math.max(1, Number(query.get('page') ?? '1') || 1);
  const res = useLoad(
    () => get<Paginated<Package>>('package/list', { ownername: owner, projectname: project, with_latest_build: true, limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE }),
    [owner, project, page],
  );
  const base = projectPath(owner, project, 'packages');
  return (
    <ProjectFrame owner={owner} project={project} tab="packages" title="Packages">
      {(v) => (
        <>
          <AddPackage view={v} />
          <ErrorMessage error={res.error} />
          {!res.data ? (
            !res.error ? <Loading what="Loading packages" /> : null
          ) : res.data.items.length === 0 ? (
            <p class="muted">No packages yet. A package appears after its first build, or when an editor adds one.</p>
          ) : (
            <>
              <div class="scroll">
                <table>
                  <caption class="sr-only">Packages</caption>
                  <thead>
                    <tr>
                      <th scope="col">Package</th>
                      <th scope="col">Source</th>
                      <th scope="col">Latest build</th>
                      <th scope="col">State</th>
                      <th scope="col">Submitted</th>
                    </tr>
                  </thead>
                  <tbody>
                    {res.data.items.slice(0, PAGE_SIZE).map((p) => {
                      const b = p.builds.latest;
                      return (
                        <tr key={p.id}>
                          <th scope="row">
                            <Link href={packagePath(owner, project, p.name)}>{p.name}</Link>
                          </th>
                          <td>{p.source_type}</td>
                          <td>{b ? <Link href={buildPath(owner, project, b.id)}>#{b.id} {b.source_package.version ?? ''}</Link> : <span class="muted">—</span>}</td>
                          <td>{b ? <StateBadge state={b.state} /> : <span class="muted">—</span>}</td>
                          <td>{b ? <Time at={b.submitted_on} /> : <span class="muted">—</span>}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <Pager page={page} hasNext={res.data.items.length > PAGE_SIZE} hrefFor={(p) => (p > 1 ? `${base}?page=${p}` : base)} />
            </>
          )}
        </>
      )}
    </ProjectFrame>
  );
}

/** "Add package" for editors: a disclosure button that opens the new-package form. */
function AddPackage({ view }: { view: ProjectView }) {
  const p = view.project;
  const canEdit = useCanEdit(view.session, p.ownername, p.name);
  const [open, setOpen] = useState(false);
  if (!canEdit) return null;
  return (
    <section aria-labelledby="pa-h">
      <h2 id="pa-h" class="sr-only">
        New package
      </h2>
      <button type="button" aria-expanded={open} aria-controls="pa-panel" onClick={() => setOpen(!open)}>
        {open ? 'Close the new package form' : 'Add package'}
      </button>
      <div id="pa-panel" hidden={!open}>
        {open ? <PackageForm project={p} onSaved={(pkg) => navigate(packagePath(pkg.ownername, pkg.projectname, pkg.name))} /> : null}
      </div>
    </section>
  );
}
