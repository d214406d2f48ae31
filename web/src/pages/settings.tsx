import { useState } from 'preact/hooks';
import { api, ApiError, get } from '../api.js';
import { ProjectFrame, type ProjectView } from '../components/project-frame.js';
import { bodyOf, fieldsOf, ProjectForm } from '../components/project-form.js';
import { ConfirmButton, ErrorMessage, Field, Notice } from '../components/ui.js';
import { ownerPath, projectPath } from '../paths.js';
import { navigate } from '../router.js';
import type { Permission, Project } from '../types.js';
import { useLoad } from '../use-api.js';
import { useSubmit } from '../use-submit.js';

export function SettingsPage({ owner, project }: { owner: string; project: string }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="edit" title="Settings">
      {(v) => (
        <>
          <EditProject view={v} />
          <Permissions view={v} />
          <Fork view={v} />
          <Delete view={v} />
        </>
      )}
    </ProjectFrame>
  );
}

/** A form action that also says what it did once it succeeded. */
function useAction() {
  const submission = useSubmit();
  const [done, setDone] = useState<string | null>(null);
  const run = async (ok: string, f: () => Promise<unknown>) => {
    setDone(null);
    if (await submission.run(f)) setDone(ok);
  };
  return { error: submission.error, busy: submission.busy, done, run };
}

const base = (p: Project) => `${encodeURIComponent(p.ownername)}/${encodeURIComponent(p.name)}`;

function EditProject({ view }: { view: ProjectView }) {
  const p = view.project;
  const [fields, setFields] = useState(fieldsOf(p));
  const a = useAction();
  return (
    <section aria-labelledby="edit-h">
      <h2 id="edit-h">Project settings</h2>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void a.run('Settings saved.', async () => {
            await api('PUT', `project/edit/${base(p)}`, { body: bodyOf(fields, 'repos') });
            view.reloadProject();
          });
        }}
      >
        <ProjectForm initial={fields} onChange={setFields} />
        <ErrorMessage error={a.error} title="Not saved" />
        {a.done ? <Notice>{a.done}</Notice> : null}
        <button type="submit" disabled={a.busy}>
          Save settings
        </button>
      </form>
    </section>
  );
}

type PermMap = Record<string, { admin?: Permission; builder?: Permission }>;

function Permissions({ view }: { view: ProjectView }) {
  const p = view.project;
  const perms = useLoad(async () => {
    try {
      return (await get<{ permissions: PermMap }>(`project/permissions/get/${base(p)}`)).permissions;
    } catch (err) {
      // 404 = nobody has permissions yet (spec §2.9).
      if (err instanceof ApiError && err.status === 404) return {};
      throw err;
    }
  }, [p.full_name]);
  const [user, setUser] = useState('');
  const [role, setRole] = useState<'builder' | 'admin'>('builder');
  const [value, setValue] = useState<Permission>('approved');
  const a = useAction();
  const isOwner = view.session?.username === p.ownername;
  return (
    <section aria-labelledby="perm-h">
      <h2 id="perm-h">Permissions</h2>
      {perms.data ? (
        Object.keys(perms.data).length === 0 ? (
          <p class="muted">No one else has permissions in this project.</p>
        ) : (
          <table>
            <caption class="sr-only">Project permissions</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Builder</th>
                <th scope="col">Admin</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(perms.data).map(([u, r]) => (
                <tr key={u}>
                  <th scope="row">{u}</th>
                  <td>{r.builder ?? 'nothing'}</td>
                  <td>{r.admin ?? 'nothing'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : perms.error && !isOwner ? (
        <p class="muted">Only the project's owner and admins see its permissions.</p>
      ) : (
        <ErrorMessage error={perms.error} />
      )}
      <form
        class="row"
        aria-label="Set a permission"
        onSubmit={(e) => {
          e.preventDefault();
          void a.run('Permission updated.', async () => {
            await api('PUT', `project/permissions/set/${base(p)}`, { body: { [user.trim()]: { [role]: value } } });
            perms.reload();
          });
        }}
      >
        <Field id="perm-user" label="User">
          <input id="perm-user" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </Field>
        <Field id="perm-role" label="Role">
          <select id="perm-role" value={role} onChange={(e) => setRole(e.currentTarget.value as 'builder' | 'admin')}>
            <option value="builder">builder</option>
            <option value="admin">admin</option>
          </select>
        </Field>
        <Field id="perm-value" label="Value">
          <select id="perm-value" value={value} onChange={(e) => setValue(e.currentTarget.value as Permission)}>
            <option value="approved">approved</option>
            <option value="request">request</option>
            <option value="nothing">nothing</option>
          </select>
        </Field>
        <button type="submit" disabled={a.busy}>
          Set permission
        </button>
      </form>
      {!isOwner ? (
        <p>
          <button type="button" disabled={a.busy} onClick={() => void a.run('Permission requested.', () => api('PUT', `project/permissions/request/${base(p)}`, { body: { builder: true } }))}>
            Request builder permission
          </button>
        </p>
      ) : null}
      <ErrorMessage error={a.error} />
      {a.done ? <Notice>{a.done}</Notice> : null}
    </section>
  );
}

function Fork({ view }: { view: ProjectView }) {
  const p = view.project;
  const [name, setName] = useState(p.name);
  const [owner, setOwner] = useState(view.session?.username ?? '');
  const a = useAction();
  return (
    <section aria-labelledby="fork-h">
      <h2 id="fork-h">Fork</h2>
      <form
        class="row"
        aria-label="Fork this project"
        onSubmit={(e) => {
          e.preventDefault();
          void a.run('Forked.', async () => {
            const dst = await api<Project>('POST', `project/fork/${base(p)}`, { body: { name: name.trim(), ownername: owner.trim(), confirm: false } });
            navigate(projectPath(dst.ownername, dst.name));
          });
        }}
      >
        <Field id="fork-owner" label="Into owner">
          <input id="fork-owner" required value={owner} onInput={(e) => setOwner(e.currentTarget.value)} />
        </Field>
        <Field id="fork-name" label="New name">
          <input id="fork-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={a.busy}>
          Fork project
        </button>
      </form>
      <ErrorMessage error={a.error} title="Not forked" />
    </section>
  );
}

function Delete({ view }: { view: ProjectView }) {
  const p = view.project;
  const a = useAction();
  return (
    <section aria-labelledby="del-h">
      <h2 id="del-h">Delete project</h2>
      <p>Deleting removes the project, its builds and its repositories.</p>
      <ConfirmButton
        label="Delete project"
        question={`Delete ${p.full_name} for good?`}
        disabled={a.busy}
        onConfirm={() =>
          a.run('Deleted.', async () => {
            await api('DELETE', `project/delete/${base(p)}`, { body: { verify: true } });
            navigate(ownerPath(p.ownername));
          })
        }
      />
      <ErrorMessage error={a.error} title="Not deleted" />
    </section>
  );
}
