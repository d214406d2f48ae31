import { useState } from 'preact/hooks';
import { api, uploadBuild } from '../api.js';
import { ProjectFrame, type ProjectView } from '../components/project-frame.js';
import { ChrootPicker } from '../components/chroot-picker.js';
import { ErrorMessage, Field } from '../components/ui.js';
import { buildPath } from '../paths.js';
import { navigate } from '../router.js';
import type { Build, Paginated } from '../types.js';
import { useSubmit } from '../use-submit.js';

type Source = 'url' | 'upload' | 'scm' | 'pypi' | 'rubygems';
const SOURCES: Array<[Source, string]> = [
  ['url', 'From URLs'],
  ['upload', 'Upload'],
  ['scm', 'SCM'],
  ['pypi', 'PyPI'],
  ['rubygems', 'RubyGems'],
];

export function NewBuildPage({ owner, project }: { owner: string; project: string }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="add-build" title="New build">
      {(v) => <NewBuild view={v} />}
    </ProjectFrame>
  );
}

function NewBuild({ view }: { view: ProjectView }) {
  const p = view.project;
  const chrootNames = Object.keys(p.chroot_repos).sort();
  const [source, setSource] = useState<Source>('url');
  const [chroots, setChroots] = useState(new Set(chrootNames));
  const [values, setValues] = useState<Record<string, string>>({ scm_type: 'git', source_build_method: 'rpkg', spec_generator: 'pyp2spec' });
  const [file, setFile] = useState<File | null>(null);
  const [timeout, setTimeoutValue] = useState('');
  const [background, setBackground] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const { busy, error, run } = useSubmit();
  const v = (k: string) => values[k] ?? '';
  const input = (k: string, label: string, opts: { required?: boolean; hint?: string; url?: boolean } = {}) => (
    <Field id={`b-${k}`} label={label} hint={opts.hint}>
      <input id={`b-${k}`} inputMode={opts.url ? 'url' : 'text'} required={opts.required} value={v(k)} onInput={(e) => setValues({ ...values, [k]: e.currentTarget.value })} aria-describedby={opts.hint ? `b-${k}-hint` : undefined} />
    </Field>
  );
  const select = (k: string, label: string, options: string[]) => (
    <Field id={`b-${k}`} label={label}>
      <select id={`b-${k}`} value={v(k)} onChange={(e) => setValues({ ...values, [k]: e.currentTarget.value })}>
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </Field>
  );

  const submit = async (e: Event) => {
    e.preventDefault();
    const common = {
      ownername: p.ownername,
      projectname: p.name,
      project_dirname: p.name,
      chroots: [...chroots].sort(),
      timeout: timeout ? Number(timeout) : null,
      background,
    };
    await run(async () => {
      let build: Build | undefined;
      if (source === 'url') {
        const r = await api<Paginated<Build>>('POST', 'build/create/url', { body: { ...common, pkgs: v('pkgs').split(/\s+/).filter(Boolean) } });
        build = r.items[0];
      } else if (source === 'upload') {
        if (!file) throw new Error('Choose a .src.rpm or .spec file to upload.');
        setProgress(0);
        build = await uploadBuild<Build>(file, common, setProgress);
      } else if (source === 'scm') {
        build = await api<Build>('POST', 'build/create/scm', {
          body: { ...common, clone_url: v('clone_url'), committish: v('committish'), subdirectory: v('subdirectory'), spec: v('spec'), scm_type: v('scm_type'), source_build_method: v('source_build_method') },
        });
      } else if (source === 'pypi') {
        build = await api<Build>('POST', 'build/create/pypi', {
          body: { ...common, pypi_package_name: v('pypi_package_name'), pypi_package_version: v('pypi_package_version') || null, spec_generator: v('spec_generator'), python_versions: ['3'] },
        });
      } else {
        build = await api<Build>('POST', 'build/create/rubygems', { body: { ...common, gem_name: v('gem_name') } });
      }
      if (build) navigate(buildPath(build.ownername, build.projectname, build.id));
    });
  };

  return (
    <form class="form" onSubmit={(e) => void submit(e)}>
      <fieldset>
        <legend>Source</legend>
        <div class="segmented">
          {SOURCES.map(([id, label]) => (
            <label key={id} class="inline">
              <input type="radio" name="source" value={id} checked={source === id} onChange={() => setSource(id)} /> {label}
            </label>
          ))}
        </div>
      </fieldset>
      {source === 'url' ? (
        <Field id="b-pkgs" label="Package URLs" hint="One or more http(s) URLs of .src.rpm, .nosrc.rpm or .spec files, separated by spaces or new lines.">
          <textarea id="b-pkgs" required rows={3} value={v('pkgs')} onInput={(e) => setValues({ ...values, pkgs: e.currentTarget.value })} aria-describedby="b-pkgs-hint" />
        </Field>
      ) : null}
      {source === 'upload' ? (
        <>
          <Field id="b-file" label="Package file" hint=".src.rpm, .nosrc.rpm or .spec">
            <input id="b-file" type="file" required accept=".rpm,.spec" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} aria-describedby="b-file-hint" />
          </Field>
          {progress !== null ? (
            <div class="field">
              <label for="b-progress">Upload progress</label>
              <progress id="b-progress" max={1} value={progress}>
                {Math.round(progress * 100)}%
              </progress>{' '}
              <span>{Math.round(progress * 100)}%</span>
            </div>
          ) : null}
        </>
      ) : null}
      {source === 'scm' ? (
        <>
          {input('clone_url', 'Clone URL', { required: true, url: true })}
          <div class="row">
            {input('committish', 'Committish', { hint: 'Branch, tag or commit; empty = default branch.' })}
            {input('subdirectory', 'Subdirectory')}
            {input('spec', 'Spec file', { hint: 'Path to the .spec file; empty = auto.' })}
          </div>
          <div class="row">
            {select('scm_type', 'Type', ['git', 'svn'])}
            {select('source_build_method', 'SRPM build method', ['rpkg', 'tito', 'tito_test', 'make_srpm'])}
          </div>
        </>
      ) : null}
      {source === 'pypi' ? (
        <div class="row">
          {input('pypi_package_name', 'PyPI package name', { required: true })}
          {input('pypi_package_version', 'Version', { hint: 'Empty = latest.' })}
          {select('spec_generator', 'Spec generator', ['pyp2spec', 'pyp2rpm'])}
        </div>
      ) : null}
      {source === 'rubygems' ? input('gem_name', 'Gem name', { required: true }) : null}
      <ChrootPicker legend="Chroots" available={chrootNames} selected={chroots} onChange={setChroots} />
      <div class="row">
        <Field id="b-timeout" label="Timeout (seconds)" hint="Empty = default (18000).">
          <input id="b-timeout" type="number" min={0} max={108000} value={timeout} onInput={(e) => setTimeoutValue(e.currentTarget.value)} aria-describedby="b-timeout-hint" />
        </Field>
      </div>
      <label class="inline">
        <input type="checkbox" checked={background} onChange={(e) => setBackground(e.currentTarget.checked)} /> Background build (lower priority)
      </label>
      <ErrorMessage error={error} title="The build was not submitted" />
      <button type="submit" disabled={busy}>
        Submit build
      </button>
    </form>
  );
}
