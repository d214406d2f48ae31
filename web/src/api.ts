import { authHeader, expireSession } from './auth.js';
import { loadConfig } from './config.js';

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

/** Room for the multipart framing and the json part next to the file. */
const MULTIPART_SLACK = 64 * 1024;

/**
 * Uploads an SRPM and submits its build. Up to the server's inline limit
 * (/config.json uploadLimitBytes, 4 MiB on AWS) as copr-cli does it; above it
 * through an upload slot: a presigned PUT straight to storage, then a build from
 * the slot. Progress is reported for the file either way.
 */
export async function uploadBuild<T>(file: File, json: Record<string, unknown>, onProgress: (fraction: number) => void): Promise<T> {
  const limit = await loadConfig().then(
    (c) => c.uploadLimitBytes,
    () => undefined,
  );
  if (limit !== undefined && file.size + MULTIPART_SLACK > limit) return uploadThroughSlot<T>(file, json, onProgress);
  const form = new FormData();
  form.append('pkgs', file, file.name);
  form.append('json', new Blob([JSON.stringify(json)], { type: 'application/json' }), 'json');
  return xhrSend<T>('POST', apiUrl('build/create/upload'), form, {}, onProgress);
}

interface UploadSlot {
  upload_id: string;
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
}

async function uploadThroughSlot<T>(file: File, json: Record<string, unknown>, onProgress: (fraction: number) => void): Promise<T> {
  const slot = await api<UploadSlot>('POST', 'build/upload-slot', {
    body: { ownername: json.ownername, projectname: json.projectname, filename: file.name },
  });
  // The slot URL carries its own signature: no Authorization header for storage.
  await xhrSend<unknown>(slot.method, slot.url, file, slot.headers, onProgress, { storage: true });
  return api<T>('POST', 'build/create/uploaded', { body: { ...json, upload_id: slot.upload_id } });
}

/** XHR, because fetch has no upload progress. */
function xhrSend<T>(
  method: string,
  url: string,
  body: Document | XMLHttpRequestBodyInit,
  headers: Record<string, string>,
  onProgress: (fraction: number) => void,
  opts: { storage?: boolean } = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    const auth = opts.storage === true ? null : authHeader();
    if (auth) xhr.setRequestHeader('authorization', auth);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      if (opts.storage === true) {
        if (xhr.status >= 200 && xhr.status < 300) resolve(undefined as T);
        else reject(new ApiError(xhr.status, `The upload to storage failed (${xhr.status}).`));
        return;
      }
      try {
        resolve(parseResponse<T>(xhr.status, xhr.statusText, xhr.responseText, auth !== null));
      } catch (err) {
        reject(err);
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'The upload failed: cannot reach the server.'));
    xhr.send(body);
  });
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.status === 403 ? `Permission denied: ${err.message}` : err.message;
  return err instanceof Error ? err.message : String(err);
}
