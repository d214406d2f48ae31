import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import {
  COMMON_FIELDS,
  fieldsInError,
  initialValues,
  isSourceType,
  NEW_PACKAGE_TYPES,
  requestBody,
  SOURCE_FIELDS,
  SOURCE_LABELS,
  SOURCE_TYPES,
  type FormValues,
  type SourceField,
  type SourceType,
} from '../package-source.js';
import type { Package, Project } from '../types.js';
import { Field, Notice } from './ui.js';
import { useSubmit } from '../use-submit.js';

/**
 * Adds a package (no `pkg`) or edits one: a source type, that type's fields and the
 * common settings, sent as `POST /api_3/package/{add,edit}/<o>/<p>/<name>/<type>`.
 * The server validates; its error lines are listed one per line and mark their fields.
 */
export function PackageForm({ project, pkg, onSaved }: { project: Project; pkg?: Package; onSaved: (p: Package) => void }) {
  const editing = pkg !== undefined;
  const types = editing ? SOURCE_TYPES : NEW_PACKAGE_TYPES;
  const startType: SourceType = pkg && isSourceType(pkg.source_type) ? pkg.source_type : 'scm';
  const [type, setType] = useState<SourceType>(startType);
  const [values, setValues] = useState<FormValues>(() => initialValues(startType, pkg));
  const [name, setName] = useState(pkg?.name ?? '');
  const [webhook, setWebhook] = useState(pkg?.auto_rebuild ?? false);
  const { busy, error, run } = useSubmit();
  const [done, setDone] = useState<string | null>(null);
  const prefix = editing ? 'pe' : 'pa';
  const message = error ? errorText(error) : '';
  const invalid = fieldsInError(message);

  const changeType = (t: SourceType) => {
    setType(t);
    // Keep the common settings; the source fields start from the type's defaults.
    const common = Object.fromEntries(COMMON_FIELDS.map((f) => [f.key, values[f.key] ?? '']));
    setValues({ ...initialValues(t, pkg), ...common });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setDone(null);
    const n = name.trim();
    const path = [editing ? 'package/edit' : 'package/add', project.ownername, project.name, n, type].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/');
    await run(async () => {
      const saved = await api<Package>('POST', path, { body: requestBody(type, n, values, webhook) });
      setDone(editing ? 'Package saved.' : `Package ${saved.name} added.`);
      onSaved(saved);
    });
  };

  const control = (f: SourceField) => {
    const id = `${prefix}-${f.key}`;
    const common = {
      id,
      name: f.key,
      value: values[f.key] ?? '',
      'aria-invalid': invalid.has(f.key) ? ('true' as const) : undefined,
      'aria-describedby': f.hint ? `${id}-hint` : undefined,
    };
    const set = (v: string) => setValues({ ...values, [f.key]: v });
    let input;
    if (f.options) {
      input = (
        <select {...common} onChange={(e) => set(e.currentTarget.value)}>
          {f.options.map((o) => (
            <option key={o} value={o}>
              {o === '' ? 'default' : o}
            </option>
          ))}
        </select>
      );
    } else if (f.multiline) {
      input = <textarea {...common} rows={8} required={f.required} spellcheck={false} onInput={(e) => set(e.currentTarget.value)} />;
    } else if (f.numeric) {
      input = <input {...common} type="number" min={f.numeric.min} max={f.numeric.max} onInput={(e) => set(e.currentTarget.value)} />;
    } else {
      input = <input {...common} required={f.required} spellcheck={false} onInput={(e) => set(e.currentTarget.value)} />;
    }
    return (
      <Field key={f.key} id={id} label={f.label} hint={f.hint}>
        {input}
      </Field>
    );
  };

  return (
    <form class="form" onSubmit={(e) => void submit(e)} aria-label={editing ? 'Edit package' : 'New package'}>
      {!editing ? (
        <Field id="pa-name" label="Package name" hint="Letters, digits and - + _ .">
          <input id="pa-name" required pattern="[\-+_.a-zA-Z0-9]+" value={name} onInput={(e) => setName(e.currentTarget.value)} aria-invalid={invalid.has('package_name') ? 'true' : undefined} aria-describedby="pa-name-hint" />
        </Field>
      ) : null}
      <fieldset>
        <legend>Source type</legend>
        <div class="segmented">
          {types.map((t) => (
            <label key={t} class="inline">
              <input type="radio" name={`${prefix}-type`} value={t} checked={type === t} onChange={() => changeType(t)} /> {SOURCE_LABELS[t]}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>{SOURCE_LABELS[type]} source</legend>
        {SOURCE_FIELDS[type].map(control)}
      </fieldset>
      <fieldset>
        <legend>Package settings</legend>
        <label class="inline">
          <input type="checkbox" name="webhook_rebuild" checked={webhook} onChange={(e) => setWebhook(e.currentTarget.checked)} /> Rebuild on webhook
        </label>
        {editing ? <p class="muted small">Empty settings below keep their current values.</p> : null}
        <div class="row">{COMMON_FIELDS.map(control)}</div>
      </fieldset>
      {error ? (
        <div class="alert" role="alert">
          <strong>{editing ? 'Not saved' : 'Not added'}:</strong>
          <ul class="error-lines">
            {message.split('\n').map((l, i) => (
              <li key={i}>{l}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {done ? <Notice>{done}</Notice> : null}
      <button type="submit" disabled={busy}>
        {editing ? 'Save package' : 'Add package'}
      </button>
    </form>
  );
}
