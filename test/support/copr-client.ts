import { randomBytes } from 'node:crypto';

/**
 * Sends requests exactly as the official python-copr/copr-cli does (see
 * shared/spec/copr-cli-requests.md): path params repeated in the query, Python
 * booleans `True`/`False`, `None` params dropped, JSON via json.dumps spacing,
 * Basic auth with the API login, bodiless PUT/POST, DELETE with JSON bodies, and
 * multipart with file parts first and the `json` *file* part last.
 */
export interface Credentials {
  login: string;
  token: string;
}

export type QueryValue = string | number | boolean | null | undefined | Array<string | number>;

export interface CoprResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** Python's json.dumps default separators: ", " and ": ". */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

function queryString(params: Record<string, QueryValue>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, String(x));
    else if (typeof v === 'boolean') q.append(k, v ? 'True' : 'False');
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export interface FilePart {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export function multipart(files: FilePart[], json: unknown): { body: Buffer; contentType: string } {
  const boundary = randomBytes(16).toString('hex');
  const parts: Buffer[] = [];
  const part = (field: string, filename: string, type: string, data: Buffer) => {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
      ),
      data,
      Buffer.from('\r\n'),
    );
  };
  for (const f of files) part(f.field, f.filename, f.contentType, f.data);
  part('json', 'json', 'application/json', Buffer.from(pyJson(json)));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export class CoprClient {
  constructor(
    readonly url: string,
    readonly creds: Credentials | null,
    readonly username?: string,
  ) {}

  private headers(auth: boolean): Record<string, string> {
    const h: Record<string, string> = { 'user-agent': 'copr copr-cli/2.5', accept: '*/*', 'accept-encoding': 'gzip, deflate' };
    if (auth && this.creds) h.authorization = `Basic ${Buffer.from(`${this.creds.login}:${this.creds.token}`).toString('base64')}`;
    return h;
  }

  async send<T = Record<string, unknown>>(
    method: string,
    endpoint: string,
    opts: { query?: Record<string, QueryValue>; json?: unknown; raw?: { body: Buffer; contentType: string }; auth?: boolean } = {},
  ): Promise<CoprResponse<T>> {
    const auth = opts.auth ?? method !== 'GET';
    const headers = this.headers(auth);
    let body: Buffer | undefined;
    if (opts.raw) {
      body = opts.raw.body;
      headers['content-type'] = opts.raw.contentType;
    } else if (opts.json !== undefined) {
      body = Buffer.from(pyJson(opts.json));
      headers['content-type'] = 'application/json';
    } else if (method !== 'GET') {
      body = Buffer.alloc(0); // bodiless PUT/POST: Content-Length 0, no Content-Type
    }
    const res = await fetch(`${this.url}/api_3/${endpoint.replace(/^\/+|\/+$/g, '')}${queryString(opts.query ?? {})}`, {
      method,
      headers,
      body: body === undefined ? undefined : new Uint8Array(body),
      redirect: 'manual',
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`non-JSON response ${res.status}: ${text.slice(0, 200)}`);
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = Record<string, unknown>>(endpoint: string, query?: Record<string, QueryValue>) {
    return this.send<T>('GET', endpoint, { query });
  }
}

/** What `copr-cli create` sends (spec: copr-cli-requests.md), with overrides. */
export function createProjectBody(name: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    chroots: ['fedora-44-x86_64'],
    description: null,
    instructions: null,
    homepage: null,
    contact: null,
    additional_repos: null,
    unlisted_on_hp: null,
    enable_net: false,
    persistent: false,
    auto_prune: true,
    bootstrap: 'default',
    bootstrap_image: null,
    isolation: 'default',
    follow_fedora_branching: true,
    devel_mode: null,
    delete_after_days: null,
    multilib: false,
    module_hotfixes: false,
    fedora_review: false,
    appstream: false,
    runtime_dependencies: null,
    packit_forge_projects_allowed: null,
    repo_priority: null,
    storage: null,
    ...over,
  };
}

/** `copr-cli create` as a request. */
export function createProject(c: CoprClient, owner: string, name: string, over: Record<string, unknown> = {}) {
  return c.send('POST', `project/add/${owner}`, { query: { ownername: owner, exist_ok: false }, json: createProjectBody(name, over) });
}
