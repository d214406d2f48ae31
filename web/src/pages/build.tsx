import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText, get } from '../api.js';
import { ProjectFrame, type ProjectView } from '../components/project-frame.js';
import { ConfirmButton, Duration, ErrorMessage, Loading, Notice, StateBadge, Time } from '../components/ui.js';
import { isFinished } from '../format.js';
import { buildPath, packagePath, projectPath } from '../paths.js';
import { Link, navigate } from '../router.js';
import type { Build, BuildChroot, Paginated } from '../types.js';
import { useLoad } from '../use-api.js';

const POLL_MS = 4000;

interface BuildData {
  build: Build;
  chroots: BuildChroot[];
  source: { state: string; result_url: string | null } | null;
}

async function loadBuild(id: number): Promise<BuildData> {
  const [build, chroots, source] = await Promise.all([
    get<Build>(`build/${id}`),
    get<Paginated<BuildChroot>>('build-chroot/list', { build_id: id }).then((r) => r.items, () => [] as BuildChroot[]),
    get<{ state: string; result_url: string | null }>(`build/source-chroot/${id}`).catch(() => null),
  ]);
  return { build, chroots, source };
}

/** How long after a build finished its chroots may still be settling (e.g. builders stopping after a cancel). */
const SETTLE_S = 300;

/**
 * Whether the page should keep refreshing: while the build runs, and after it finished
 * while some chroot still shows an unfinished state (a cancel marks the build at once,
 * its running chroots once their builders stopped).
 */
function stillChanging(d: BuildData, now: number): boolean {
  if (!isFinished(d.build.state)) return true;
  const rows = [...d.chroots.map((c) => c.state), ...(d.source ? [d.source.state] : [])];
  const recent = d.build.ended_on === null || now - d.build.ended_on < SETTLE_S;
  return recent && rows.some((s) => !isFinished(s));
}

export function BuildPage({ owner, project, id }: { owner: string; project: string; id: number }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="build" title={`Build ${id}`}>
      {(v) => <BuildDetail view={v} id={id} />}
    </ProjectFrame>
  );
}

/** Log file names under a result dir: the live log while running, `.gz` once finished (spec §4.8). */
function logNames(state: string): string[] {
  const gz = isFinished(state) || state === 'importing';
  return gz ? ['builder-live.log.gz', 'backend.log.gz'] : ['builder-live.log', 'backend.log'];
}

function BuildDetail({ view, id }: { view: ProjectView; id: number }) {
  const res = useLoad(() => loadBuild(id), [id], { pollMs: (d) => (d && stillChanging(d, Date.now() / 1000) ? POLL_MS : null) });
  const [actionError, setActionError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [logChroot, setLogChroot] = useState<string | null>(null);
  // The log followed automatically stays on screen (as the final log) once its chroot finishes.
  const followed = useRef<string | null>(null);
  if (res.error && !res.data) return <ErrorMessage error={res.error} />;
  if (!res.data) return <Loading what="Loading build" />;
  const { build: b, chroots, source } = res.data;
  const finished = isFinished(b.state);

  const act = async (what: string, run: () => Promise<unknown>) => {
    setActionError(null);
    setMessage(null);
    try {
      await run();
      setMessage(what);
      res.reload();
    } catch (err) {
      setActionError(err);
    }
  };

  const rows: Array<BuildChroot & { label: string }> = [
    ...(source ? [{ name: 'srpm-builds', label: 'Source (SRPM)', state: source.state, started_on: null, ended_on: null, result_url: source.result_url }] : []),
    ...chroots.map((c) => ({ ...c, label: c.name })),
  ];
  const live = logChroot ?? rows.find((r) => r.state === 'running' && r.result_url)?.name ?? followed.current;
  followed.current = live;
  const liveRow = rows.find((r) => r.name === live);

  return (
    <>
      <section aria-labelledby="summary-h">
        <h2 id="summary-h">
          Build #{b.id} <StateBadge state={b.state} />
        </h2>
        <dl class="facts">
          <dt>Package</dt>
          <dd>{b.source_package.name ? <Link href={packagePath(b.ownername, b.projectname, b.source_package.name)}>{b.source_package.name}</Link> : <span class="muted">not known yet</span>}</dd>
          <dt>Version</dt>
          <dd>{b.source_package.version ?? <span class="muted">—</span>}</dd>
          <dt>Source</dt>
          <dd>{b.source_package.url ? <a href={b.source_package.url}>{b.source_package.url}</a> : <span class="muted">—</span>}</dd>
          <dt>Submitted</dt>
          <dd>
            <Time at={b.submitted_on} both /> {b.submitter ? `by ${b.submitter}` : null}
          </dd>
          <dt>Started</dt>
          <dd>
            <Time at={b.started_on} both />
          </dd>
          <dt>Finished</dt>
          <dd>
            <Time at={b.ended_on} both />
          </dd>
          <dt>Build time</dt>
          <dd>
            <Duration from={b.started_on} to={b.ended_on} />
          </dd>
          <dt>Repository</dt>
          <dd>
            <a href={b.repo_url}>{b.repo_url}</a>
          </dd>
        </dl>
        {view.canBuild ? (
          <div class="actions">
            {!finished ? (
              <button type="button" onClick={() => void act('Build canceled.', () => api('PUT', `build/cancel/${b.id}`))}>
                Cancel build
              </button>
            ) : null}
            <button type="button" onClick={() => void resubmit(b, setActionError)}>
              Resubmit
            </button>
            <ConfirmButton
              label="Delete"
              question={`Delete build #${b.id} and its results?`}
              disabled={!finished}
              onConfirm={() =>
                act('Build deleted.', async () => {
                  await api('DELETE', `build/delete/${b.id}`);
                  navigate(projectPath(b.ownername, b.projectname, 'builds'));
                })
              }
            />
          </div>
        ) : null}
        {message ? <Notice>{message}</Notice> : null}
        <ErrorMessage error={actionError} />
      </section>
      <section aria-labelledby="chroots-h">
        <h2 id="chroots-h">Results per chroot</h2>
        {rows.length === 0 ? (
          <p class="muted">The chroots are known once the source package is built.</p>
        ) : (
          <div class="scroll">
            <table>
              <caption class="sr-only">State of each chroot</caption>
              <thead>
                <tr>
                  <th scope="col">Chroot</th>
                  <th scope="col">State</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Results and logs</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <tr key={c.name}>
                    <th scope="row">{c.label}</th>
                    <td>
                      <StateBadge state={c.state} />
                    </td>
                    <td>
                      <Time at={c.started_on} />
                    </td>
                    <td>
                      <Duration from={c.started_on} to={c.ended_on ?? (isFinished(c.state) ? c.started_on : null)} />
                    </td>
                    <td>
                      {c.result_url ? (
                        <span class="links">
                          <a href={c.result_url}>results</a>
                          {logNames(c.state).map((n) => (
                            <a key={n} href={`${c.result_url}${n}`}>
                              {n.replace(/\.gz$/, '')}
                            </a>
                          ))}
                          <button type="button" class="link" aria-pressed={live === c.name} onClick={() => setLogChroot(c.name)}>
                            view log here
                          </button>
                        </span>
                      ) : (
                        <span class="muted">no results yet</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {liveRow?.result_url ? <LiveLog key={liveRow.name} chroot={liveRow.label} resultUrl={liveRow.result_url} state={liveRow.state} /> : null}
      <p>
        <Link href={buildPath(b.ownername, b.projectname, b.id)}>Permanent link to this build</Link>
      </p>
    </>
  );
}

/** Re-runs the build from the same source, when that source is a URL (link/upload). */
async function resubmit(b: Build, onError: (e: unknown) => void): Promise<void> {
  if (!b.source_package.url) {
    navigate(projectPath(b.ownername, b.projectname, 'add_build'));
    return;
  }
  try {
    const r = await api<Paginated<Build>>('POST', 'build/create/url', {
      body: { ownername: b.ownername, projectname: b.projectname, project_dirname: b.project_dirname, pkgs: [b.source_package.url], chroots: b.chroots.length ? b.chroots : null },
    });
    const first = r.items[0];
    if (first) navigate(buildPath(first.ownername, first.projectname, first.id));
  } catch (err) {
    onError(err);
  }
}

/**
 * The text of a log response. A `.log.gz` served with Content-Encoding arrives as text; one
 * served as plain gzip bytes (a results host or mirror without that header) is unpacked here.
 */
async function logText(res: Response): Promise<string> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return new TextDecoder().decode(bytes);
  const unpacked = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(unpacked).text();
}

/**
 * Follows `builder-live.log` under the chroot's result URL while the build runs
 * (re-reading it every few seconds), then shows the final log.
 */
function LiveLog({ chroot, resultUrl, state }: { chroot: string; resultUrl: string; state: string }) {
  const [text, setText] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);
  const running = !isFinished(state);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const names = running ? ['builder-live.log', 'builder-live.log.gz'] : ['builder-live.log.gz', 'builder-live.log'];
    const poll = async () => {
      for (const n of names) {
        try {
          const res = await fetch(`${resultUrl}${n}`, { cache: 'no-store' });
          if (res.ok) {
            const body = await logText(res);
            if (live) {
              setText(body);
              setError(null);
            }
            break;
          }
          if (live && n === names[names.length - 1]) setError(res.status === 404 ? 'No log yet.' : `The log is not available (${res.status}).`);
        } catch (err) {
          if (live) setError(errorText(err));
        }
      }
      if (live && running) timer = setTimeout(() => void poll(), 3000);
    };
    void poll();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [resultUrl, running]);

  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);

  return (
    <section aria-labelledby="log-h">
      <h2 id="log-h">
        Log: {chroot} {running ? <span class="muted small">(live, refreshes every 3 s)</span> : null}
      </h2>
      <label class="inline">
        <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow the end of the log
      </label>
      {error && !text ? <p class="muted">{error}</p> : null}
      <pre class="log" ref={pre} tabIndex={0} aria-label={`Build log for ${chroot}`} data-testid="live-log">
        {text}
      </pre>
    </section>
  );
}
