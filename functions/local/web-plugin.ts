import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboardPagePatterns, dashboardPageRoutes } from '../api/html/dashboard-pages.js';
import { type DashboardConfig, LOGIN_CALLBACK_PATH } from '../../web/src/dashboard-config.js';
import type { LocalBase, LocalPlugin } from './service.js';

export type { DashboardConfig };

/**
 * Serves the dashboard (`web/dist`, built by scripts/build-web.sh) on the local server,
 * the way CloudFront does on AWS: hashed assets under `/assets/`, the other top-level
 * files of the build, `/config.json` (issuer, client id, redirect), and index.html for
 * every dashboard page so each URL loads directly, including on reload.
 *
 * Why page routes rather than one `/` mount: mounts are prefix matches tried before the
 * API, so a catch-all mount would shadow `/api_3`, `/backend` and `/coprs/<o>/<p>/repo/`.
 * The dashboard's page patterns never overlap an API path (the repo file routes have a
 * `repo` segment where pages have `build`/`package`), so the router keeps both apart.
 */
export interface WebPluginOptions {
  /** Defaults to `<repo>/web/dist`. */
  distDir?: string;
}

export { dashboardPagePatterns };

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

export function webPlugin(opts: WebPluginOptions = {}): LocalPlugin {
  const distDir = resolve(opts.distDir ?? fileURLToPath(new URL('../../web/dist', import.meta.url)));

  function indexHtml(): Buffer | null {
    const path = join(distDir, 'index.html');
    return existsSync(path) ? readFileSync(path) : null;
  }

  return {
    name: 'web',
    // The SPA's index.html for every page; the pages Copr users also fetch without a
    // browser (project list, project, build) get a server-rendered summary inside it.
    routes: () => dashboardPageRoutes(dashboardPagePatterns(), () => indexHtml()?.toString('utf8') ?? null),
    mounts: (base) => [
      { prefix: '/config.json', handle: (_req, res) => config(base, res) },
      { prefix: '/assets/', handle: (req, res) => file(distDir, req, res) },
      ...topLevelFiles(distDir).map((name) => ({ prefix: `/${name}`, handle: (req: IncomingMessage, res: ServerResponse) => file(distDir, req, res) })),
    ],
  };
}

export function localDashboardConfig(base: LocalBase): DashboardConfig {
  return {
    issuer: base.issuer.issuer,
    clientId: base.issuer.audience,
    redirectUri: `${base.url}${LOGIN_CALLBACK_PATH}`,
    scope: 'openid profile',
    bearer: 'access_token',
  };
}

async function config(base: LocalBase, res: ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
  res.end(JSON.stringify(localDashboardConfig(base)));
}

function topLevelFiles(distDir: string): string[] {
  if (!existsSync(distDir)) return [];
  return readdirSync(distDir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== 'index.html' && e.name !== 'config.json')
    .map((e) => e.name);
}

async function file(distDir: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
    res.end('Method not allowed\n');
    return;
  }
  let rel: string;
  try {
    rel = decodeURIComponent(new URL(req.url ?? '/', 'http://local').pathname);
  } catch {
    rel = '';
  }
  const path = normalize(join(distDir, rel));
  // Refuse anything that escapes the build directory (`..`, encoded slashes).
  const inside = path.startsWith(distDir + sep) && !rel.includes('\0');
  if (!inside || !existsSync(path) || !statSync(path).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not found\n');
    return;
  }
  const body = readFileSync(path);
  // Vite puts a content hash in every asset name, so assets never change.
  const immutable = rel.startsWith('/assets/');
  res.writeHead(200, {
    'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
