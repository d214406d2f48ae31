import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ProjectFrame } from '../components/project-frame.js';
import { ErrorMessage } from '../components/ui.js';
import { ownerPath } from '../paths.js';
import { navigate } from '../router.js';
import type { Project } from '../types.js';
import { useSubmit } from '../use-submit.js';

export function DeleteProjectPage({ owner, project }: { owner: string; project: string }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="delete" title="Delete">
      {({ project: p }) => <DeleteForm project={p} />}
    </ProjectFrame>
  );
}

/** Copr's delete page: a confirmation checkbox, then `DELETE /api_3/project/delete/<o>/<p>`. */
function DeleteForm({ project: p }: { project: Project }) {
  const [verify, setVerify] = useState(false);
  const { busy, error, run } = useSubmit();
  const submit = async () => {
    await run(async () => {
      await api('DELETE', `project/delete/${encodeURIComponent(p.ownername)}/${encodeURIComponent(p.name)}`, { body: { verify: true } });
      navigate(ownerPath(p.ownername));
    });
  };
  return (
    <form
      aria-label="Delete project"
      onSubmit={(e) => {
        e.preventDefault();
        if (verify) void submit();
      }}
    >
      <p>
        Deleting <strong>{p.full_name}</strong> removes its builds and its repositories. This cannot be undone.
      </p>
      <label class="inline">
        <input type="checkbox" checked={verify} onChange={(e) => setVerify(e.currentTarget.checked)} /> I understand that the project and all its builds will be deleted
      </label>
      <div class="actions">
        <button type="submit" class="danger" disabled={!verify || busy}>
          Delete project
        </button>
      </div>
      <ErrorMessage error={error} title="Not deleted" />
    </form>
  );
}
