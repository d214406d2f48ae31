import { ApiError, get } from './api.js';
import type { Session } from './auth.js';
import { useLoad } from './use-api.js';

/**
 * Whether to offer build actions to the logged-in user. Only a hint for the UI: the
 * server decides, and a 403 is shown with its message.
 */
export function useCanBuild(session: Session | null, owner: string, project: string): boolean {
  const res = useLoad(
    async () => {
      if (!session) return false;
      if (session.username === owner) return true;
      try {
        const r = await get<{ can_build_in: boolean }>(`project/permissions/can_build_in/${encodeURIComponent(session.username)}/${encodeURIComponent(owner)}/${encodeURIComponent(project)}`);
        return r.can_build_in === true;
      } catch {
        // Groups or an older server: offer the actions; the server answers 403 if not allowed.
        return owner.startsWith('@');
      }
    },
    [session?.username, owner, project],
  );
  return res.data === true;
}

/**
 * Whether to offer editing (packages, settings) to the logged-in user. There is no
 * "can edit" endpoint, so this asks for the project's permissions, which only editors
 * may read: 403 = no, 404 ("no permissions set") = yes. Only a hint, like useCanBuild.
 */
export function useCanEdit(session: Session | null, owner: string, project: string): boolean {
  const res = useLoad(
    async () => {
      if (!session) return false;
      if (session.username === owner) return true;
      try {
        await get(`project/permissions/get/${encodeURIComponent(owner)}/${encodeURIComponent(project)}`);
        return true;
      } catch (err) {
        return err instanceof ApiError && err.status === 404;
      }
    },
    [session?.username, owner, project],
  );
  return res.data === true;
}
