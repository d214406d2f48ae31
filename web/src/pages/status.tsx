import { ApiError, get } from '../api.js';
import { ErrorMessage, Loading, Notice } from '../components/ui.js';
import { buildPath } from '../paths.js';
import { Link } from '../router.js';
import { useTitle } from '../title.js';
import type { QueueItem, QueueStatus } from '../types.js';
import { useLoad } from '../use-api.js';

const KINDS = ['pending', 'starting', 'running'] as const;

export function StatusPage() {
  useTitle('Build queue');
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
  return (
    <>
      <h1 tabIndex={-1}>Build queue</h1>
      <ErrorMessage error={res.error} />
      {res.loading && res.data === null && !res.error ? <Loading /> : null}
      {!res.loading && res.data === null && !res.error ? <Notice>Queue status is not available on this server.</Notice> : null}
      {res.data ? (
        <>
          <ul class="counts" aria-label="Queue counts">
            {KINDS.map((k) => (
              <li key={k}>
                <span class={`state state-${k}`}>{k}</span> <strong>{(res.data?.[k] ?? []).length}</strong>
              </li>
            ))}
          </ul>
          {KINDS.map((k) => (
            <Queue key={k} kind={k} items={res.data?.[k] ?? []} />
          ))}
        </>
      ) : null}
    </>
  );
}

function Queue({ kind, items }: { kind: string; items: QueueItem[] }) {
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
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
