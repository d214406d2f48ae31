import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../functions/local/dynamodb-local.js';
import { oidcPlugin } from '../../functions/local/oidc-plugin.js';
import { resultsMount } from '../../functions/local/results-mount.js';
import { startLocalService, type LocalPlugin } from '../../functions/local/service.js';
import { GpgSigner } from '../../functions/publish/gpg-signer.js';
import { newRecorder, recordingBuildsPlugin, type Recorder } from '../api/build-support.js';
import { createProject, multipart, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';
import { basic, rawHttp } from './raw-http.js';

/**
 * The escalations and crashes of issue 10, each as the request an attacker sends,
 * against the real local HTTP server (the streaming and crash paths are its own).
 */
let t: TestService;
let alice: CoprClient;
let bob: CoprClient;
let carol: CoprClient;
let port: number;
const rec: Recorder = newRecorder();
const CHROOTS = ['fedora-44-x86_64'];
const MiB = 1024 * 1024;

function resultsPlugin(r: Recorder): LocalPlugin {
  return { name: 'test-results', mounts: () => [resultsMount(r.results!)] };
}

const authOf = (c: CoprClient) => basic(c.creds!.login, c.creds!.token);
const cliOptions = (owner: string, project: string, over: Record<string, unknown> = {}) => ({
  ownername: owner,
  projectname: project,
  project_dirname: project,
  timeout: null,
  chroots: null,
  background: false,
  isolation: 'unchanged',
  ...over,
});
const alive = async () => (await alice.send('GET', 'auth-check', { auth: true })).status;

beforeAll(async () => {
  t = await startTestService({ plugins: [recordingBuildsPlugin(rec), resultsPlugin(rec), oidcPlugin()], env: { COPR_DEV_LOGIN: '0' } });
  port = Number(new URL(t.service.url).port);
  alice = await t.user('alice');
  bob = await t.user('bob');
  carol = await t.user('carol');
  for (const p of ['p1', 'px']) expect((await createProject(alice, 'alice', p, { chroots: CHROOTS })).status).toBe(200);
  expect((await createProject(bob, 'bob', 'b1', { chroots: CHROOTS })).status).toBe(200);
});
afterAll(() => t.stop());

describe('one request never kills the service', () => {
  const cut = (field: string, filename: string) => {
    const boundary = randomUUID().replace(/-/g, '');
    // The body ends inside the file part: no closing boundary, no json part.
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      Buffer.alloc(4096, 7),
    ]);
    return { body, contentType: `multipart/form-data; boundary=${boundary}` };
  };

  it('a multipart body cut off inside a file part answers 400, and the server keeps answering', async () => {
    for (const [path, field, file] of [
      ['/api_3/build/create/upload', 'pkgs', 'hello-1.0-1.src.rpm'],
      ['/api_3/project-chroot/edit/alice/p1/fedora-44-x86_64', 'upload_comps', 'comps.xml'],
    ] as const) {
      const { body, contentType } = cut(field, file);
      const res = await rawHttp({
        port,
        method: path.includes('project-chroot') ? 'PUT' : 'POST',
        path,
        headers: { authorization: authOf(alice), 'content-type': contentType, 'content-length': String(body.length) },
        body,
      });
      expect(res.status, res.body).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: expect.stringMatching(/multipart/i) });
      expect(await alive()).toBe(200);
    }
    expect(await rec.results!.list('_uploads/')).toEqual([]);
  });

  it('a client that goes away mid-upload or sends a malformed boundary leaves the server serving', async () => {
    const { body, contentType } = cut('pkgs', 'hello-1.0-1.src.rpm');
    const gone = await rawHttp({
      port,
      method: 'POST',
      path: '/api_3/build/create/upload',
      headers: { authorization: authOf(alice), 'content-type': contentType, 'content-length': String(10 * MiB) },
      body,
      abortAfterBody: true,
    });
    expect(gone.status).toBe(0);
    const bad = await rawHttp({
      port,
      method: 'POST',
      path: '/api_3/build/create/upload',
      headers: { authorization: authOf(alice), 'content-type': 'multipart/form-data; boundary=', 'content-length': '5' },
      body: Buffer.from('--\r\n\r'),
    });
    expect(bad.status).toBe(400);
    expect(await alive()).toBe(200);
    await expect.poll(() => readdirSync(join(t.service.dataDir, 'uploads-staging')), { timeout: 10_000 }).toEqual([]);
  });
});

describe('bodies are read last, under a limit', () => {
  it('an anonymous 1 GiB upload is refused (401) before its body is read', async () => {
    const res = await rawHttp({
      port,
      method: 'POST',
      path: '/api_3/build/create/upload',
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(1024 * MiB) },
      streamChunk: 64 * 1024,
      maxStream: 64 * MiB,
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toHaveProperty('error');
    // Socket buffers hold a few MiB at most; the server read none of it on purpose.
    expect(res.sentBeforeAnswer).toBeLessThan(16 * MiB);
  });

  it('a logged-in JSON body over 1 MiB gets 413 at the limit, not after the whole body', async () => {
    const res = await rawHttp({
      port,
      method: 'POST',
      path: '/api_3/project/add/alice',
      headers: { authorization: authOf(alice), 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      streamChunk: 64 * 1024,
      maxStream: 64 * MiB,
      chunked: true,
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: expect.stringMatching(/larger than/) });
    expect(res.sentBeforeAnswer).toBeLessThan(16 * MiB);
    expect(await alive()).toBe(200);
  });

  it('an upload route sent something else than multipart gets the 1 MiB JSON limit', async () => {
    const res = await rawHttp({
      port,
      method: 'POST',
      path: '/api_3/build/create/upload',
      headers: { authorization: authOf(alice), 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      streamChunk: 64 * 1024,
      maxStream: 64 * MiB,
      chunked: true,
    });
    expect(res.status).toBe(413);
    expect(res.sentBeforeAnswer).toBeLessThan(16 * MiB);
  });

  it('a declared upload over the limit gets 413 at once', async () => {
    const res = await rawHttp({
      port,
      method: 'POST',
      path: '/api_3/build/create/upload',
      headers: { authorization: authOf(alice), 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(3 * 1024 * MiB) },
    });
    expect(res.status).toBe(413);
    expect(res.sentBeforeAnswer).toBe(0);
  });

  it('a 256 MiB upload streams to storage: the server does not hold it in memory', async () => {
    const boundary = randomUUID().replace(/-/g, '');
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="pkgs"; filename="big-1.0-1.src.rpm"\r\nContent-Type: application/x-rpm\r\n\r\n`,
    );
    const size = 256 * MiB;
    const tail = Buffer.from(
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="json"; filename="json"\r\nContent-Type: application/json\r\n\r\n` +
        `${JSON.stringify(cliOptions('alice', 'p1'))}\r\n--${boundary}--\r\n`,
    );
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const res = await rawHttp({
        port,
        method: 'POST',
        path: '/api_3/build/create/upload',
        headers: { authorization: authOf(alice), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) },
        body: head,
        streamChunk: 256 * 1024,
        maxStream: head.length + size,
        trailer: tail,
        timeoutMs: 120_000,
      });
      expect(res.status, res.body).toBe(200);
    } finally {
      clearInterval(sampler);
    }
    const stored = (await rec.results!.list('_uploads/')).filter((k) => k.endsWith('/big-1.0-1.src.rpm'));
    expect(stored).toHaveLength(1);
    expect((await rec.results!.get(stored[0]!))?.length).toBe(size);
    // The old path held the body twice (raw and base64): at least 600 MiB more.
    expect(peak - base).toBeLessThan(128 * MiB);
  }, 150_000);
});

describe('no way to the store or to tokens from outside', () => {
  it('DynamoDB Local listens on 127.0.0.1 only', () => {
    const ddbPort = Number(new URL(process.env.DYNAMODB_ENDPOINT!).port);
    const listening: string[] = [];
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
        const [addr, portHex] = cols[1]!.split(':');
        if (parseInt(portHex!, 16) === ddbPort) listening.push(addr!);
      }
    }
    expect(listening.length).toBeGreaterThan(0);
    const loopback = ['0100007F', '0000000000000000FFFF00000100007F', '00000000000000000000000001000000'];
    for (const a of listening) expect(loopback, `DynamoDB Local listens on ${a}`).toContain(a);
  });

  it('the local issuer mints no token unless COPR_DEV_LOGIN=1', async () => {
    await expect(t.service.issuer.sign('admin')).rejects.toThrow(/COPR_DEV_LOGIN/);
    const form = await fetch(`${t.service.url}/oidc/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin', response_type: 'code', client_id: 'copr-local', redirect_uri: `${t.service.url}/`, code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }),
      redirect: 'manual',
    });
    expect(form.status).toBe(403);
    expect(form.headers.get('location')).toBeNull();
    const token = await fetch(`${t.service.url}/oidc/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x' }) });
    expect(token.status).toBe(403);
    expect(await token.json()).toMatchObject({ error: 'access_denied' });
  });
});

describe("Copr's authorization rules", () => {
  it('a user with the `admin` project permission cannot delete the project', async () => {
    expect((await bob.send('PUT', 'project/permissions/request/alice/px', { json: { admin: true } })).status).toBe(200);
    expect((await alice.send('PUT', 'project/permissions/set/alice/px', { json: { bob: { admin: 'approved' } } })).status).toBe(200);
    // bob may edit, as Copr allows...
    expect((await bob.send('PUT', 'project/edit/alice/px', { json: { description: 'by bob' } })).status).toBe(200);
    // ...but not delete.
    const res = await bob.send('DELETE', 'project/delete/alice/px', { query: { ownername: 'alice', projectname: 'px' }, json: { verify: true } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'Only owners may delete their projects.' });
    expect(await t.service.ctx.store.getProject('alice', 'px')).not.toBeNull();
  });

  it('with_build_id into another user’s batch is refused; a builder of that project may join', async () => {
    const first = await alice.send('POST', 'build/create/url', { json: { ...cliOptions('alice', 'p1'), pkgs: ['https://example.com/a-1-1.src.rpm'] } });
    expect(first.status).toBe(200);
    const id = (first.body.items as Array<{ id: number }>)[0]!.id;
    const before = (await rec.deps!.builds.listProjectBuilds('bob', 'b1')).length;
    const res = await bob.send('POST', 'build/create/url', { json: { ...cliOptions('bob', 'b1'), pkgs: ['https://example.com/b-1-1.src.rpm'], with_build_id: String(id) } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(`belongs to project alice/p1`);
    expect((await rec.deps!.builds.listProjectBuilds('bob', 'b1')).length).toBe(before);
    const check = await bob.send('POST', 'build/check-before-build', { json: { ...cliOptions('bob', 'b1'), with_build_id: String(id) } });
    expect(check.status).toBe(400);

    expect((await carol.send('PUT', 'project/permissions/request/alice/p1', { json: { builder: true } })).status).toBe(200);
    expect((await alice.send('PUT', 'project/permissions/set/alice/p1', { json: { carol: { builder: 'approved' } } })).status).toBe(200);
    const joined = await carol.send('POST', 'build/create/url', { json: { ...cliOptions('alice', 'p1'), pkgs: ['https://example.com/c-1-1.src.rpm'], with_build_id: String(id) } });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  });
});

describe('names', () => {
  it('over-long names answer 400 in Copr’s shape, anonymous reads included', async () => {
    const long = 'x'.repeat(3000);
    for (const [endpoint, query] of [
      ['project', { ownername: 'alice', projectname: long }],
      ['project', { ownername: long, projectname: 'p1' }],
      ['package/list', { ownername: 'alice', projectname: long }],
      ['project-chroot', { ownername: 'alice', projectname: 'p1', chrootname: long }],
    ] as const) {
      const res = await t.anon.get(endpoint, query);
      expect(res.status, `${endpoint} ${JSON.stringify(res.body).slice(0, 200)}`).toBe(400);
      expect(res.body.error).toMatch(/cannot be longer than/);
    }
    const path = await t.anon.send('GET', `project/list/${'y'.repeat(3000)}`, { auth: false });
    expect(path.status).toBeLessThan(500);
    const body = await alice.send('POST', 'build/create/url', { json: { ...cliOptions('alice', 'p'.repeat(150)), pkgs: ['https://example.com/a-1-1.src.rpm'] } });
    expect(body.status).toBe(400);
  });

  it('project names starting with a dot are refused', async () => {
    for (const name of ['.x', '.', '..', '.hidden-project']) {
      const res = await createProject(alice, 'alice', name, { chroots: CHROOTS });
      expect(res.status, name).toBe(400);
      expect(await t.service.ctx.store.getProject('alice', name)).toBeNull();
    }
    expect((await createProject(alice, 'alice', 'x.y', { chroots: CHROOTS })).status).toBe(200);
  });
});

describe('uploaded sources', () => {
  it('are never listed under /results/_uploads/ and go with their build', async () => {
    const { body, contentType } = multipart([{ field: 'pkgs', filename: 'hello-1.0-1.src.rpm', contentType: 'application/x-rpm', data: Buffer.from('srpm bytes') }], cliOptions('alice', 'p1'));
    const res = await alice.send('POST', 'build/create/upload', { raw: { body, contentType } });
    expect(res.status).toBe(200);
    const id = res.body.id as number;
    const build = (await rec.deps!.builds.getBuild(id))!;
    const key = `_uploads/${build.source_dict.tmp as string}/hello-1.0-1.src.rpm`;
    expect(await rec.results!.exists(key)).toBe(true);

    for (const dir of ['_uploads/', `_uploads/${build.source_dict.tmp as string}/`]) {
      expect((await fetch(`${t.service.url}/results/${dir}`)).status, dir).toBe(404);
    }
    const root = await (await fetch(`${t.service.url}/results/`)).text();
    expect(root).not.toContain('_uploads');
    // The builder fetches the file by its unguessable URL.
    expect((await fetch(`${t.service.url}/results/${key}`)).status).toBe(200);

    expect((await alice.send('PUT', `build/cancel/${id}`)).status).toBe(200);
    const del = await alice.send('DELETE', `build/delete/${id}`);
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    expect(await rec.results!.exists(key)).toBe(false);
    expect((await fetch(`${t.service.url}/results/${key}`)).status).toBe(404);
  });
});

describe('start-up', () => {
  it('a request sent while the service starts gets 503 in Copr’s shape, then is served once ready', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const real = process.env.DYNAMODB_ENDPOINT!;
    // DynamoDB behind a gate: the service listens but cannot finish starting.
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void gate.then(async () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
          const up = await fetch(`${real}${req.url ?? '/'}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/x-amz-json-1.0' });
          res.end(Buffer.from(await up.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((ok) => proxy.listen(0, '127.0.0.1', () => ok()));
    const addr = proxy.address();
    const proxyUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'copr-startup-'));
    const svcPort = await freePort();
    const starting = startLocalService({ dataDir, port: svcPort, dynamoEndpoint: proxyUrl, tableName: `t-${randomUUID()}` });
    try {
      const early = await expect
        .poll(
          async () => {
            try {
              const r = await fetch(`http://127.0.0.1:${svcPort}/api_3`, { signal: AbortSignal.timeout(5_000) });
              return { status: r.status, body: (await r.json()) as Record<string, unknown> };
            } catch (err) {
              if ((err as Error).name === 'TimeoutError') return { status: -1, body: {} }; // a hang: the old behaviour
              return null; // not listening yet
            }
          },
          { timeout: 20_000, interval: 50 },
        )
        .toMatchObject({ status: 503, body: { error: expect.stringMatching(/starting/) } });
      void early;
      open();
      const svc = await starting;
      try {
        expect((await fetch(`http://127.0.0.1:${svcPort}/api_3`)).status).toBe(200);
      } finally {
        await svc.stop();
      }
    } finally {
      open();
      await starting.catch(() => null);
      proxy.closeAllConnections();
      proxy.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('signing', () => {
  it('leaves no gpg-agent running after a signature', async () => {
    const keysDir = mkdtempSync(join(tmpdir(), 'copr-gpg-agent-'));
    const signer = new GpgSigner({ keysDir, keyLength: 2048 });
    try {
      const file = join(keysDir, 'repomd.xml');
      await writeFile(file, '<repomd/>');
      await signer.signDetached('alice', 'proj', file);
      const home = signer.homedir('alice', 'proj');
      const agents = () =>
        readdirSync('/proc')
          .filter((d) => /^\d+$/.test(d))
          .filter((pid) => {
            try {
              const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
              return argv.includes('gpg-agent') && argv.includes(home);
            } catch {
              return false;
            }
          });
      await expect.poll(agents, { timeout: 10_000 }).toEqual([]);
    } finally {
      await signer.close();
      rmSync(keysDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('Expect: 100-continue', () => {
  it('refuses an anonymous upload without inviting its body, and invites an allowed one', async () => {
    const refused = await rawHttp({
      port,
      method: 'POST',
      path: '/api_3/build/create/upload',
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(100 * MiB), expect: '100-continue' },
      stopAtHead: true,
    });
    expect(refused.status).toBe(401);
    const { body, contentType } = multipart([{ field: 'pkgs', filename: 'cont-1.0-1.src.rpm', contentType: 'application/x-rpm', data: Buffer.from('srpm') }], cliOptions('alice', 'p1'));
    const invited = await rawHttp({
      port,
      method: 'POST',
      path: '/api_3/build/create/upload',
      headers: { authorization: authOf(alice), 'content-type': contentType, 'content-length': String(body.length), expect: '100-continue' },
      stopAtHead: true,
    });
    expect(invited.status).toBe(100);
  });
});
