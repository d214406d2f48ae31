import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { UPLOADS_DIR } from '../core/uploads.js';
import { renderIndexHtml } from '../publish/listing.js';
import type { LocalResultsStore } from '../adapters/local-results-store.js';

/**
 * `/results/...` of the local server: files of the results store, directory
 * listings (a live one when no index.html was written yet, so running builds are
 * browsable), and the `.log` → `.log.gz` fallback Copr's results host has, serving
 * gzipped logs as plain text with Content-Encoding so browsers show them.
 */
const TYPES: Record<string, string> = {
  '.rpm': 'application/x-rpm',
  '.xml': 'text/xml',
  '.gz': 'application/gzip',
  '.json': 'application/json',
  '.log': 'text/plain; charset=utf-8',
  '.spec': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.asc': 'text/plain',
  '.gpg': 'text/plain',
  '.repo': 'text/plain',
};

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function resultsMount(store: LocalResultsStore, prefix = '/results/') {
  return {
    prefix,
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed');
      const url = new URL(req.url ?? '/', 'http://local');
      let rel: string;
      try {
        rel = decodeURIComponent(url.pathname.slice(prefix.length));
      } catch {
        return send(res, 400, 'Bad path');
      }
      if (rel.split('/').some((s) => s === '..') || rel.includes('\0')) return send(res, 400, 'Bad path');
      // Half-written files and the publisher's staging dirs are never served.
      if (rel.split('/').some((s) => s.endsWith('.part') || (s.startsWith('.') && s.length > 1))) return send(res, 404, 'Not found');
      const path = store.pathOf(rel);
      const st = await statOrNull(path);
      // Uploaded sources are fetched by their unguessable URL only: never listed.
      if (st?.isDirectory() && rel.split('/')[0] === UPLOADS_DIR) return send(res, 404, 'Not found');
      if (st?.isDirectory()) {
        if (!url.pathname.endsWith('/')) {
          res.writeHead(301, { location: `${url.pathname}/` });
          return void res.end();
        }
        const index = join(path, 'index.html');
        if (await statOrNull(index)) return streamFile(req, res, index, 'text/html; charset=utf-8');
        const entries = [];
        for (const e of await readdir(path, { withFileTypes: true })) {
          if (e.name.startsWith('.') || e.name.endsWith('.part') || (rel === '' && e.name === UPLOADS_DIR)) continue;
          const s = await statOrNull(join(path, e.name));
          if (s) entries.push({ name: e.name, isDir: e.isDirectory(), size: s.size, mtimeMs: s.mtimeMs });
        }
        return send(res, 200, renderIndexHtml(`/results/${rel}`, entries, { parentLink: rel.length > 0 }), 'text/html; charset=utf-8');
      }
      if (st?.isFile()) {
        const gzLog = path.endsWith('.log.gz');
        return streamFile(req, res, path, gzLog ? 'text/plain; charset=utf-8' : (TYPES[extname(path)] ?? 'application/octet-stream'), gzLog ? 'gzip' : undefined);
      }
      if (path.endsWith('.log') && (await statOrNull(`${path}.gz`))) {
        return streamFile(req, res, `${path}.gz`, 'text/plain; charset=utf-8', 'gzip');
      }
      return send(res, 404, 'Not found');
    },
  };
}

async function streamFile(req: IncomingMessage, res: ServerResponse, path: string, type: string, encoding?: string): Promise<void> {
  const st = await stat(path);
  const headers: Record<string, string | number> = { 'content-type': type, 'content-length': st.size, 'last-modified': st.mtime.toUTCString() };
  if (encoding) headers['content-encoding'] = encoding;
  // repodata must never be served stale
  headers['cache-control'] = path.includes('/repodata/') || path.endsWith('.log') ? 'no-cache' : 'max-age=60';
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return void res.end();
  await new Promise<void>((ok, fail) => {
    const s = createReadStream(path);
    s.on('error', fail);
    s.on('end', () => ok());
    s.pipe(res);
  });
}
