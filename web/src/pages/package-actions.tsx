import { useState } from 'preact/hooks';
import { api, get } from '../api.js';
import { ChrootPicker } from '../components/chroot-picker.js';
import { PackageForm } from '../components/package-form.js';
import { ProjectFrame, type ProjectView } from '../components/project-frame.js';
import { ErrorMessage, Loading, Notice } from '../components/ui.js';
import { buildPath, packagePath } from '../paths.js';
import { useCanEdit } from '../permissions.js';
import { Link, navigate } from '../router.js';
import type { Build, Package } from '../types.js';
import { useLoad } from '../use-api.js';
import { useSubmit } from '../use-submit.js';

/** Copr's `.../package/<name>/rebuild`: rebuild from the stored source, in chosen chroots. */
export function PackageRebuildPage({ owner, project, name }: { owner: string; project: string; name: string }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="package" title={`Rebuild ${name}`}>
      {(v) => <Rebuild view={v} name={name} />}
    </ProjectFrame>
  );
}

/** Copr's `.../package/<name>/edit`: the package's source settings form. */
export function PackageEditPage({ owner, project, name }: { owner: string; project: string; name: string }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="package" title={`Edit ${name}`}>
      {(v) => <Edit view={v} name={name} />}
    </ProjectFrame>
  );
}

function usePackage(view: ProjectView, name: string) {
  const p = view.project;
  return useLoad(() => get<Package>('package', { ownername: p.ownername, projectname: p.name, packagename: name }), [p.full_name, name]);
}

function Rebuild({ view, name }: { view: ProjectView; name: string }) {
  const p = view.project;
  const pkg = usePackage(view, name);
  const chroots = Object.keys(p.chroot_repos).sort();
  const [selected, setSelected] = useState<Set<string>>(() => new Set(chroots));
  const { busy, error, run } = useSubmit();
  if (pkg.error) return <ErrorMessage error={pkg.error} />;
  if (!pkg.data) return <Loading what="Loading package" />;
  if (!view.canBuild) return <Notice>You may not build in this project.</Notice>;
  if (pkg.data.source_type === 'unset') return <Notice>No source is set for this package; set one on its edit page first.</Notice>;
  const submit = async () => {
    await run(async () => {
      const b = await api<Build>('POST', 'package/build', { body: { ownername: p.ownername, projectname: p.name, package_name: name, project_dirname: p.name, chroots: [...selected].sort() } });
      navigate(buildPath(b.ownername, b.projectname, b.id));
    });
  };
  return (
    <form
      aria-label="Rebuild package"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <p>
        Builds <Link href={packagePath(p.ownername, p.name, name)}>{name}</Link> again from its {pkg.data.source_type} source.
      </p>
      <ChrootPicker legend="Chroots" available={chroots} selected={selected} onChange={setSelected} />
      <div class="actions">
        <button type="submit" disabled={busy || selected.size === 0}>
          Rebuild
        </button>
      </div>
      <ErrorMessage error={error} title="Not submitted" />
    </form>
  );
}

function Edit({ view, name }: { view: ProjectView; name: string }) {
  const p = view.project;
  const pkg = usePackage(view, name);
  const canEdit = useCanEdit(view.session, p.ownername, p.name);
  if (pkg.error) return <ErrorMessage error={pkg.error} />;
  if (!pkg.data) return <Loading what="Loading package" />;
  if (!canEdit) return <Notice>Only those who may edit this project can change its packages.</Notice>;
  return <PackageForm project={p} pkg={pkg.data} onSaved={pkg.reload} />;
}
