// Shared test helpers for the builder agent: temp dirs, SRPMs made at test time from the
// fixture specs, a static/JSON HTTP server on 127.0.0.1, and local ports for runTask.
import { execFileSync } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { AgentDeps } from '../../builder-ami/agent/run-task.js';
import { createBwrapSandbox } from '../../builder-ami/agent/sandbox-bwrap.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'builder');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `copr-builder-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Builds an SRPM from a fixture spec (+ fixture sources) into `outDir`; returns its path. */
export function makeSrpm(specName: string, outDir: string, sources: string[] = []): string {
  const top = join(outDir, `.top-${specName}`);
  const src = join(top, 'SOURCES');
  mkdirSync(src, { recursive: true });
  copyFileSync(join(FIXTURES, specName), join(src, specName));
  for (const s of sources) copyFileSync(join(FIXTURES, s), join(src, s));
  execFileSync('rpmbuild', ['-bs', '--define', `_topdir ${top}`, '--define', `_sourcedir ${src}`,
    '--define', `_srcrpmdir ${outDir}`, '--define', 'dist %{nil}', join(src, specName)], { stdio: 'pipe' });
  const made = readdirSync(outDir).find((f) => f.startsWith(specName.replace(/\.spec$/, '')) && f.endsWith('.src.rpm'));
  if (!made) throw new Error(`no SRPM for ${specName}`);
  rmSync(top, { recursive: true, force: true });
  return join(outDir, made);
}

export type Route = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface TestServer {
  url: string;
  requests: string[];
  close: () => Promise<void>;
}

/** Serves files below `root` (if given) and the extra routes; 404 otherwise. */
export async function startServer(root: string | null, routes: Route[] = []): Promise<TestServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      requests.push(`${req.method} ${req.url}`);
      for (const route of routes) if (await route(req, res)) return;
      const path = root ? join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)) : '';
      if (root && path.startsWith(root) && existsSync(path) && statSync(path).isFile()) {
        res.writeHead(200, { 'content-length': statSync(path).size });
        createReadStream(path).pipe(res);
        return;
      }
      res.writeHead(404).end('not found');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export function jsonRoute(path: string, body: unknown): Route {
  return (req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== path) return false;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    return true;
  };
}

export interface LocalPorts {
  deps: AgentDeps;
  /** The task's result dir, as the upload port filled it. */
  resultDir: string;
  liveLog: () => string;
  controller: AbortController;
}

/** runTask ports backed by local dirs: uploads are copied into `<root>/result`. */
export function localPorts(root: string): LocalPorts {
  const workDir = join(root, 'work');
  const resultDir = join(root, 'result');
  mkdirSync(workDir, { recursive: true });
  mkdirSync(resultDir, { recursive: true });
  let live = '';
  const controller = new AbortController();
  return {
    resultDir,
    controller,
    liveLog: () => live,
    deps: {
      workDir,
      sandbox: createBwrapSandbox(),
      // The tests clone from repositories they make on the local disk.
      config: { allowLocalGitSources: true },
      signal: controller.signal,
      log: (text) => {
        live += text;
      },
      upload: async (relativePath, localFile) => {
        mkdirSync(dirname(join(resultDir, relativePath)), { recursive: true });
        copyFileSync(localFile, join(resultDir, relativePath));
      },
    },
  };
}

/** NEVRA.arch of a package file, read with rpm. */
export function rpmQuery(file: string, qf = '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}'): string {
  return execFileSync('rpm', ['-qp', '--nosignature', '--qf', qf, file], { encoding: 'utf8' });
}

/** The text of a log the agent ships gzipped, as Copr does (`build.log` → `build.log.gz`). */
export function readGzLog(resultDir: string, name: string): string {
  return gunzipSync(readFileSync(join(resultDir, `${name}.gz`))).toString('utf8');
}
