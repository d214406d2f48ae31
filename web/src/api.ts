import { authHeader, expireSession } from './auth.js';

/**
 * The only way the dashboard talks to the server: `/api_3/...` with the bearer token
 * of the logged-in user. Copr signals errors by an `error` key (spec §1.4); that text
 * is what the user sees.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function queryString(q: Query = {}): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === null || v === undefined || v === '') continue;
    // APIv3 reads Python-style booleans.
    s.append(k, typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
  }
  const out = s.toString();
  return out ? `?${out}` : '';
}

export function apiUrl(path: string, q?: Query): string {
  return `/api_3/${path.replace(/^\/+/, '')}${queryString(q)}`;
}

/** Turns a response into its JSON body or an ApiError with the server's message. */
export function parseResponse<T>(status: number, statusText: string, text: string, hadAuth: boolean): T {
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const error = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : null;
  if (status === 401 && hadAuth) {
    expireSession();
    throw new ApiError(401, 'Your login has expired. Please log in again.');
  }
  if (error !== null) throw new ApiError(status, error);
  if (status >= 400 || body === null) throw new ApiError(status, `The server answered ${status} ${statusText || ''}`.trim() + (body === null ? ' without a JSON body.' : '.'));
  return body as T;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const auth = authHeader();
  if (auth) headers.authorization = auth;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(apiUrl(path, opts.query), { method, headers, body });
  } catch {
    throw new ApiError(0, 'Cannot reach the server. Check your connection and try again.');
  }
  return parseResponse<T>(res.status, res.statusText, await res.text(), auth !== null);
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', path, { query });

/**
 * Multipart upload through XHR (fetch has no upload progress), with the parts in
 * copr-cli's order: the file part `pkgs` first, then the `json` part.
 */
export function uploadBuild<T>(file: File, json: unknown, onProgress: (fraction: number) => void): Promise<T> {
  const form = new FormData();
  form.append('pkgs', file, file.name);
  form.append('json', new Blob([JSON.stringify(json)], { type: 'application/json' }), 'json');
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl('build/create/upload'));
    const auth = authHeader();
    if (auth) xhr.setRequestHeader('authorization', auth);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      try {
        resolve(parseResponse<T>(xhr.status, xhr.statusText, xhr.responseText, auth !== null));
      } catch (err) {
        reject(err);
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'The upload failed: cannot reach the server.'));
    xhr.send(form);
  });
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.status === 403 ? `Permission denied: ${err.message}` : err.message;
  return err instanceof Error ? err.message : String(err);
}
