import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { login, useSession } from '../auth.js';
import { bodyOf, fieldsOf, ProjectForm } from '../components/project-form.js';
import { ErrorMessage, Field } from '../components/ui.js';
import { projectPath } from '../paths.js';
import { navigate } from '../router.js';
import { useTitle } from '../title.js';
import type { Project } from '../types.js';
import { useSubmit } from '../use-submit.js';

export function NewProjectPage() {
  useTitle('New project');
  const session = useSession();
  const [name, setName] = useState('');
  const [owner, setOwner] = useState(session?.username ?? '');
  const [fields, setFields] = useState(fieldsOf(null));
  const { busy, error, run } = useSubmit();
  if (!session) {
    return (
      <>
        <h1 tabIndex={-1}>New project</h1>
        <p>
          <button type="button" onClick={() => void login('/coprs/add/')}>
            Log in
          </button>{' '}
          to create a project.
        </p>
      </>
    );
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    await run(async () => {
      const ownername = owner.trim() || session.username;
      const p = await api<Project>('POST', `project/add/${encodeURIComponent(ownername)}`, { body: { name: name.trim(), ...bodyOf(fields, 'additional_repos') } });
      navigate(projectPath(p.ownername, p.name));
    });
  };
  return (
    <>
      <h1 tabIndex={-1}>New project</h1>
      <form onSubmit={(e) => void submit(e)} class="form">
        <div class="row">
          <Field id="f-owner" label="Owner" hint="Your username, or @group for a group you belong to.">
            <input id="f-owner" value={owner} onInput={(e) => setOwner(e.currentTarget.value)} aria-describedby="f-owner-hint" />
          </Field>
          <Field id="f-name" label="Project name" hint="Letters, digits, '.', '_' and '-'.">
            <input id="f-name" required pattern="[\w.\-]+" value={name} onInput={(e) => setName(e.currentTarget.value)} aria-describedby="f-name-hint" />
          </Field>
        </div>
        <ProjectForm initial={fields} onChange={setFields} />
        <ErrorMessage error={error} title="The project was not created" />
        <button type="submit" disabled={busy}>
          Create project
        </button>
      </form>
    </>
  );
}
