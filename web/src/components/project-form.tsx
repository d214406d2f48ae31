import { useState } from 'preact/hooks';
import type { Project } from '../types.js';
import { ChrootPicker } from './chroot-picker.js';
import { Field } from './ui.js';

/** The editable project fields, in APIv3 names (ProjectAdd / ProjectEdit bodies). */
export interface ProjectFields {
  description: string;
  instructions: string;
  homepage: string;
  contact: string;
  chroots: Set<string>;
  repos: string;
  unlisted_on_hp: boolean;
  enable_net: boolean;
  devel_mode: boolean;
  module_hotfixes: boolean;
  follow_fedora_branching: boolean;
  bootstrap: string;
  isolation: string;
}

export function fieldsOf(p: Project | null): ProjectFields {
  return {
    description: p?.description ?? '',
    instructions: p?.instructions ?? '',
    homepage: p?.homepage ?? '',
    contact: p?.contact ?? '',
    chroots: new Set(p ? Object.keys(p.chroot_repos) : []),
    repos: (p?.additional_repos ?? []).join('\n'),
    unlisted_on_hp: p?.unlisted_on_hp ?? false,
    enable_net: p?.enable_net ?? false,
    devel_mode: p?.devel_mode ?? false,
    module_hotfixes: p?.module_hotfixes ?? false,
    follow_fedora_branching: p?.follow_fedora_branching ?? true,
    bootstrap: p?.bootstrap ?? 'default',
    isolation: p?.isolation ?? 'default',
  };
}

/** Request body keys; empty text is sent as null ("not provided") except where clearing is meant. */
export function bodyOf(f: ProjectFields, reposKey: 'repos' | 'additional_repos'): Record<string, unknown> {
  return {
    description: f.description,
    instructions: f.instructions,
    homepage: f.homepage.trim() || null,
    contact: f.contact.trim() || null,
    chroots: [...f.chroots].sort(),
    [reposKey]: f.repos.split(/\s+/).filter(Boolean),
    unlisted_on_hp: f.unlisted_on_hp,
    enable_net: f.enable_net,
    devel_mode: f.devel_mode,
    module_hotfixes: f.module_hotfixes,
    follow_fedora_branching: f.follow_fedora_branching,
    bootstrap: f.bootstrap,
    isolation: f.isolation,
  };
}

export function ProjectForm({ initial, onChange }: { initial: ProjectFields; onChange: (f: ProjectFields) => void }) {
  const [f, setF] = useState(initial);
  const set = <K extends keyof ProjectFields>(k: K, v: ProjectFields[K]) => {
    const next = { ...f, [k]: v };
    setF(next);
    onChange(next);
  };
  const text = (k: 'description' | 'instructions' | 'homepage' | 'contact' | 'repos', label: string, multi = false, hint?: string) => (
    <Field id={`f-${k}`} label={label} hint={hint}>
      {multi ? (
        <textarea id={`f-${k}`} rows={4} value={f[k]} onInput={(e) => set(k, e.currentTarget.value)} aria-describedby={hint ? `f-${k}-hint` : undefined} />
      ) : (
        <input id={`f-${k}`} value={f[k]} onInput={(e) => set(k, e.currentTarget.value)} aria-describedby={hint ? `f-${k}-hint` : undefined} />
      )}
    </Field>
  );
  const flag = (k: 'unlisted_on_hp' | 'enable_net' | 'devel_mode' | 'module_hotfixes' | 'follow_fedora_branching', label: string) => (
    <label class="inline">
      <input type="checkbox" checked={f[k]} onChange={(e) => set(k, e.currentTarget.checked)} /> {label}
    </label>
  );
  return (
    <>
      {text('description', 'Description', true)}
      {text('instructions', 'Installation instructions', true)}
      {text('homepage', 'Homepage', false, 'An http(s) URL.')}
      {text('contact', 'Contact', false, 'An email address or URL.')}
      <ChrootPicker legend="Chroots" selected={f.chroots} onChange={(s) => set('chroots', s)} />
      {text('repos', 'External repositories', true, 'One URL per line: http(s):// or copr://owner/project.')}
      <fieldset>
        <legend>Options</legend>
        {flag('enable_net', 'Enable internet access during builds')}
        {flag('unlisted_on_hp', 'Do not list on the home page')}
        {flag('devel_mode', 'Manual createrepo (devel mode)')}
        {flag('module_hotfixes', 'Module hotfixes')}
        {flag('follow_fedora_branching', 'Follow Fedora branching')}
      </fieldset>
      <div class="row">
        <Field id="f-bootstrap" label="Bootstrap">
          <select id="f-bootstrap" value={f.bootstrap} onChange={(e) => set('bootstrap', e.currentTarget.value)}>
            {['default', 'on', 'off', 'image'].map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </Field>
        <Field id="f-isolation" label="Isolation">
          <select id="f-isolation" value={f.isolation} onChange={(e) => set('isolation', e.currentTarget.value)}>
            {['default', 'simple', 'nspawn'].map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </Field>
      </div>
    </>
  );
}
