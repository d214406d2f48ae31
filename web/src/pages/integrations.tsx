import { api, ApiError, get } from '../api.js';
import { ProjectFrame, type ProjectView } from '../components/project-frame.js';
import { CopyBlock, ErrorMessage, Loading, Notice } from '../components/ui.js';
import { useLoad } from '../use-api.js';
import { useSubmit } from '../use-submit.js';

interface Secret {
  id: number;
  webhook_secret: string | null;
}

const FORGES: Array<[string, string]> = [
  ['github', 'GitHub'],
  ['gitlab', 'GitLab'],
  ['bitbucket', 'Bitbucket'],
  ['pagure', 'Pagure'],
];

export function IntegrationsPage({ owner, project }: { owner: string; project: string }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="integrations" title="Integrations">
      {(v) => <Integrations view={v} />}
    </ProjectFrame>
  );
}

/**
 * Copr's integrations page: the webhook URL for each forge (`/webhooks/<forge>/<project
 * id>/<secret>/`, the custom one per package), shown only to those who may edit.
 */
function Integrations({ view }: { view: ProjectView }) {
  const p = view.project;
  const secret = useLoad(
    async () => {
      if (!view.session) return null;
      try {
        return await get<Secret>(`webhook/secret/${encodeURIComponent(p.ownername)}/${encodeURIComponent(p.name)}`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) return null;
        throw err;
      }
    },
    [p.full_name, view.session?.username],
  );
  const { busy, error, run } = useSubmit();
  if (!view.session) return <Notice>Log in to see this project's webhook URLs.</Notice>;
  if (secret.error) return <ErrorMessage error={secret.error} />;
  if (secret.loading && !secret.data) return <Loading what="Loading integrations" />;
  if (!secret.data) return <Notice>Only those who may edit this project see its webhook URLs.</Notice>;

  const generate = async () => {
    await run(async () => {
      await api('POST', `webhook/generate/${encodeURIComponent(p.ownername)}/${encodeURIComponent(p.name)}`);
      secret.reload();
    });
  };
  const value = secret.data.webhook_secret;
  const base = `${location.origin}/webhooks`;
  return (
    <>
      <p>
        A push to a package's repository rebuilds every SCM package of this project whose clone URL matches and that has “Rebuild on webhook” on. The secret is part of each URL; keep it private.
      </p>
      {value === null ? (
        <Notice>This project has no webhook secret yet. Generate one to get the webhook URLs.</Notice>
      ) : (
        <>
          <h2>Webhook secret</h2>
          <CopyBlock label="Webhook secret" text={value} />
          {FORGES.map(([id, label]) => (
            <section key={id} aria-labelledby={`wh-${id}`}>
              <h2 id={`wh-${id}`}>{label}</h2>
              <CopyBlock label={`${label} webhook URL`} text={`${base}/${id}/${secret.data?.id}/${value}/`} />
            </section>
          ))}
          <section aria-labelledby="wh-custom">
            <h2 id="wh-custom">Custom webhook</h2>
            <p>POST to this URL, with the package name in place of PACKAGE_NAME, to rebuild that package.</p>
            <CopyBlock label="Custom webhook URL" text={`${base}/custom/${secret.data.id}/${value}/PACKAGE_NAME/`} />
          </section>
        </>
      )}
      <div class="actions">
        <button type="button" disabled={busy} onClick={() => void generate()}>
          {value === null ? 'Generate webhook secret' : 'Generate a new secret'}
        </button>
        {value !== null ? <span class="muted small">The old URLs stop working.</span> : null}
      </div>
      <ErrorMessage error={error} />
    </>
  );
}
