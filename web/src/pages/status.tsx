import { ApiError, get } from '../api.js';
import { ErrorMessage, Loading, Notice } from '../components/ui.js';
import { buildPath, type StatusKind } from '../paths.js';
import { Link } from '../router.js';
import { useTitle } from '../title.js';
import type { QueueItem, QueueStatus } from '../types.js';
import { useLoad } from '../use-api.js';

const STATES = ['pending', 'starting', 'running'] as const;
/** The SRPM stage's tasks carry this chroot name. */
const SRPM = 'srpm-builds';

const TABS: Array<[StatusKind, string, string]> = [
  ['all', 'Queue', '/status/'],
  ['pending', 'Pending', '/status/pending/'],
  ['running', 'Running', '/status/running/'],
  ['importing', 'Importing', '/status/importing/'],
  ['stats', 'Statistics', '/status/stats/'],
];

const TITLES: Record<StatusKind, string> = {
  all: 'Build queue',
  pending: 'Pending tasks',
  running: 'Running tasks',
  importing: 'Importing',
  stats: 'Queue statistics',
};

/** Copr's `/status/...` pages, all from `GET /api_3/status/queue`. */
export function StatusPage({ kind }: { kind: StatusKind }) {
  useTitle(TITLES[kind]);
  const res = useLoad(
    async () => {
      try {
        return await get<QueueStatus>('status/queue');
      } catch (err) {
        // The endpoint may not exist on this server yet.
        if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return null;
        throw err;
      }
    },
    [],
    { pollMs: (d) => (d ? 10_000 : null) },
  );
  const q = res.data;
  return (
    <>
      <h1 tabIndex={-1}>{TITLES[kind]}</h1>
      <nav aria-label="Status pages" class="tabs">
        {TABS.map(([id, label, href]) => (
          <Link key={id} href={href} aria-current={id === kind ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      <ErrorMessage error={res.error} />
      {res.loading && q === null && !res.error ? <Loading /> : null}
      {!res.loading && q === null && !res.error ? <Notice>Queue status is not available on this server.</Notice> : null}
      {q ? <StatusBody kind={kind} q={q} /> : null}
    </>
  );
}

function StatusBody({ kind, q }: { kind: StatusKind; q: QueueStatus }) {
  switch (kind) {
    case 'all':
      return (
        <>
          <ul class="counts" aria-label="Queue counts">
            {STATES.map((k) => (
              <li key={k}>
                <span class={`state state-${k}`}>{k}</span> <strong>{q[k].length}</strong>
              </li>
            ))}
          </ul>
          {STATES.map((k) => (
            <Queue key={k} kind={k} items={q[k]} />
          ))}
        </>
      );
    case 'pending':
      return <Queue kind="pending" items={q.pending} />;
    case 'running':
      return (
        <>
          <Queue kind="starting" items={q.starting} />
          <Queue kind="running" items={q.running} />
        </>
      );
    case 'importing': {
      const srpm = STATES.flatMap((s) => q[s].filter((i) => i.chroot === SRPM).map((i) => ({ ...i, state: s })));
      return (
        <>
          <p>
            Copr imports each new source package into its dist-git before building it. This service keeps no dist-git: the source (SRPM) stage is what runs before the RPM builds, so its tasks are listed here.
          </p>
          <Queue kind="importing" items={srpm} showState />
        </>
      );
    }
    case 'stats':
      return <Stats q={q} />;
  }
}

function Stats({ q }: { q: QueueStatus }) {
  const all = STATES.flatMap((s) => q[s].map((i) => ({ ...i, state: s })));
  const group = (key: (i: QueueItem) => string) => {
    const m = new Map<string, Record<(typeof STATES)[number], number>>();
    for (const i of all) {
      const k = key(i);
      const row = m.get(k) ?? { pending: 0, starting: 0, running: 0 };
      row[i.state]++;
      m.set(k, row);
    }
    return [...m].sort(([a], [b]) => a.localeCompare(b));
  };
  const table = (title: string, col: string, rows: ReturnType<typeof group>) => (
    <section aria-labelledby={`st-${col}`}>
      <h2 id={`st-${col}`}>{title}</h2>
      {rows.length === 0 ? (
        <p class="muted">Nothing queued.</p>
      ) : (
        <div class="scroll">
          <table>
            <caption class="sr-only">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{col}</th>
                {STATES.map((s) => (
                  <th scope="col" key={s}>
                    {s}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map(([k, r]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  {STATES.map((s) => (
                    <td key={s}>{r[s]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
  return (
    <>
      <ul class="counts" aria-label="Queue counts">
        {STATES.map((k) => (
          <li key={k}>
            <span class={`state state-${k}`}>{k}</span> <strong>{q[k].length}</strong>
          </li>
        ))}
      </ul>
      {table('Tasks per architecture', 'Architecture', group((i) => (i.chroot === SRPM ? 'source (SRPM)' : i.arch)))}
      {table('Tasks per owner', 'Owner', group((i) => i.owner))}
    </>
  );
}

function Queue({ kind, items, showState = false }: { kind: string; items: Array<QueueItem & { state?: string }>; showState?: boolean }) {
  return (
    <section aria-labelledby={`q-${kind}`}>
      <h2 id={`q-${kind}`}>
        {kind[0]!.toUpperCase() + kind.slice(1)} ({items.length})
      </h2>
      {items.length === 0 ? (
        <p class="muted">Nothing {kind}.</p>
      ) : (
        <div class="scroll">
          <table>
            <caption class="sr-only">{kind} tasks</caption>
            <thead>
              <tr>
                <th scope="col">Build</th>
                <th scope="col">Project</th>
                <th scope="col">Chroot</th>
                <th scope="col">Arch</th>
                {showState ? <th scope="col">State</th> : null}
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={`${i.build_id}-${i.chroot}`}>
                  <td>
                    <Link href={buildPath(i.owner, i.project, i.build_id)}>#{i.build_id}</Link>
                  </td>
                  <td>
                    {i.owner}/{i.project}
                  </td>
                  <td>{i.chroot}</td>
                  <td>{i.arch}</td>
                  {showState ? <td>{i.state}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
