import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readPrimaryHrefs } from '../support/repodata-read.js';

export const run = promisify(execFile);
export const SPEC = fileURLToPath(new URL('../fixtures/publish/tiny.spec', import.meta.url));

export function makeTmp(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

export async function removeTmp(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Builds `<name>-<version>-1.noarch.rpm` (and its SRPM) with real rpmbuild; returns both paths. */
export async function buildRpm(work: string, name: string, version = '1.0'): Promise<{ rpm: string; srpm: string }> {
  const top = join(work, `rpmbuild-${name}-${version}`);
  const defs = ['--define', `_topdir ${top}`, '--define', `pkgname ${name}`, '--define', `pkgver ${version}`];
  await run('rpmbuild', ['-ba', '--nodeps', ...defs, SPEC]);
  return {
    rpm: join(top, 'RPMS', 'noarch', `${name}-${version}-1.noarch.rpm`),
    srpm: join(top, 'SRPMS', `${name}-${version}-1.src.rpm`),
  };
}

/** Puts a build's packages where a builder would upload them: `<chrootDir>/<subdir>/`. */
export async function placeBuild(chrootDir: string, subdir: string, files: readonly string[]): Promise<string> {
  const dir = join(chrootDir, subdir);
  await mkdir(dir, { recursive: true });
  for (const f of files) await copyFile(f, join(dir, f.slice(f.lastIndexOf('/') + 1)));
  return dir;
}

/**
 * A minimal static file server standing in for CloudFront / the local `/results/`
 * route: files as-is, directories through their index.html.
 */
export async function serveDir(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const absRoot = resolve(root);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      let path = normalize(join(absRoot, urlPath));
      if (!path.startsWith(absRoot)) {
        res.writeHead(403).end();
        return;
      }
      try {
        let s = await stat(path);
        if (s.isDirectory()) {
          if (!urlPath.endsWith('/')) {
            res.writeHead(301, { Location: `${req.url ?? ''}/` }).end();
            return;
          }
          path = join(path, 'index.html');
          s = await stat(path);
        }
        const type = path.endsWith('.html') ? 'text/html; charset=utf-8' : 'application/octet-stream';
        res.writeHead(200, { 'Content-Type': type, 'Content-Length': s.size });
        if (req.method === 'HEAD') res.end();
        else createReadStream(path).pipe(res);
      } catch {
        res.writeHead(404).end('not found');
      }
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Every regular file below `dir`, as paths relative to it. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}
/** Package locations (hrefs) in a repository's live primary metadata; throws when there is none. */
/** Package locations in a repository's primary metadata (via createrepo_c's own format). */
export async function primaryLocations(repodataDir: string): Promise<string[]> {
  const hrefs = await readPrimaryHrefs(repodataDir);
  if (!hrefs) throw new Error(`${repodataDir} has no repomd.xml naming a primary`);
  return hrefs;
}
