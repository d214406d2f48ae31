import { Fragment } from 'preact';
import { api, get } from '../api.js';
import { PackageForm } from '../components/package-form.js';
import { ProjectFrame, type ProjectView } from '../components/project-frame.js';
import { BuildTable } from '../components/tables.js';
import { ErrorMessage, Loading } from '../components/ui.js';
import { buildPath, packagePath } from '../paths.js';
import { useCanEdit } from '../permissions.js';
import { Link, navigate } from '../router.js';
import type { Build, Package, Paginated } from '../types.js';
import { useLoad } from '../use-api.js';
import { useSubmit } from '../use-submit.js';

export function PackagePage({ owner, project, name }: { owner: string; project: string; name: string }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="package" title={`Package ${name}`}>
      {(v) => <PackageDetail view={v} name={name} />}
    </ProjectFrame>
  );
}

function PackageDetail({ view, name }: { view: ProjectView; name: string }) {
  const p = view.project;
  const pkg = useLoad(() => get<Package>('package', { ownername: p.ownername, projectname: p.name, packagename: name, with_latest_build: true, with_latest_succeeded_build: true }), [p.full_name, name]);
  const builds = useLoad(async () => (await get<Paginated<Build>>('build/list', { ownername: p.ownername, projectname: p.name, packagename: name, limit: 20, order: 'id', order_type: 'DESC' })).items, [p.full_name, name]);
  const { busy, error, run } = useSubmit();
  const canEdit = useCanEdit(view.session, p.ownername, p.name);
  if (pkg.error) return <ErrorMessage error={pkg.error} />;
  if (!pkg.data) return <Loading what="Loading package" />;
  const source = Object.entries(pkg.data.source_dict ?? {});

  const rebuild = async () => {
    await run(async () => {
      const b = await api<Build>('POST', 'package/build', { body: { ownername: p.ownername, projectname: p.name, package_name: name, project_dirname: p.name } });
      navigate(buildPath(b.ownername, b.projectname, b.id));
    });
  };

  return (
    <>
      <section aria-labelledby="src-h">
        <h2 id="src-h">Source</h2>
        <dl class="facts">
          <dt>Source type</dt>
          <dd>{pkg.data.source_type}</dd>
          {source.map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}</dt>
              <dd>{v === null || v === '' ? <span class="muted">—</span> : typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
            </Fragment>
          ))}
          <dt>Rebuild on webhook</dt>
          <dd>{pkg.data.auto_rebuild ? 'yes' : 'no'}</dd>
        </dl>
        {view.canBuild ? (
          <div class="actions">
            <button type="button" disabled={busy || pkg.data.source_type === 'unset'} onClick={() => void rebuild()}>
              Rebuild
            </button>
            {pkg.data.source_type === 'unset' ? <span class="muted small">No source is set for this package.</span> : <Link href={packagePath(p.ownername, p.name, name, 'rebuild')}>Rebuild in chosen chroots…</Link>}
          </div>
        ) : null}
        <ErrorMessage error={error} />
      </section>
      {canEdit ? (
        <section aria-labelledby="pe-h">
          <h2 id="pe-h">Edit package</h2>
          <PackageForm project={p} pkg={pkg.data} onSaved={pkg.reload} />
        </section>
      ) : null}
      <section aria-labelledby="pb-h">
        <h2 id="pb-h">Builds</h2>
        <ErrorMessage error={builds.error} />
        {builds.data ? <BuildTable builds={builds.data} caption={`Builds of ${name}`} /> : !builds.error ? <Loading /> : null}
      </section>
    </>
  );
}
