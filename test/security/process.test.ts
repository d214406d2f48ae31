import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, CoprClient } from '../support/copr-client.js';
import { basic, rawHttp } from './raw-http.js';

/**
 * The service as a process of its own (test/security/fixtures/serve.ts): the attacks
 * whose damage is the process dying or swelling are measured on that process.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const MiB = 1024 * 1024;
let child: ChildProcess;
let info: { url: string; login: string; token: string; pid: number };
let port: number;

const rssOf = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const answers = async () => (await fetch(`${info.url}/api_3`, { signal: AbortSignal.timeout(10_000) })).status;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/security/fixtures/serve.ts')], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  info = await new Promise((ok, fail) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) ok(JSON.parse(line) as typeof info);
    });
    child.on('exit', (code) => fail(new Error(`serve.ts exited (${code}): ${err}`)));
  });
  port = Number(new URL(info.url).port);
  const alice = new CoprClient(info.url, { login: info.login, token: info.token }, 'alice');
  expect((await createProject(alice, 'alice', 'p1', { chroots: ['fedora-44-x86_64'] })).status).toBe(200);
}, 90_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    await exited;
  }
});

describe('the service process', () => {
  it('survives multipart bodies cut off inside a file part', async () => {
    for (const [method, path, field] of [
      ['POST', '/api_3/build/create/upload', 'pkgs'],
      ['PUT', '/api_3/project-chroot/edit/alice/p1/fedora-44-x86_64', 'upload_comps'],
    ] as const) {
      const boundary = randomUUID().replace(/-/g, '');
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="a-1-1.src.rpm"\r\nContent-Type: application/octet-stream\r\n\r\n`),
        Buffer.alloc(64 * 1024, 1),
      ]);
      const res = await rawHttp({
        port,
        method,
        path,
        headers: { authorization: basic(info.login, info.token), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
        body,
      });
      expect(res.status).toBe(400);
      // The old code died here on an unhandled 'error' of the part stream.
      await new Promise((r) => setTimeout(r, 200));
      expect(child.exitCode).toBeNull();
      expect(await answers()).toBe(200);
    }
  });

  it('refuses a large anonymous POST without growing', async () => {
    const before = rssOf(info.pid);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(info.pid));
    }, 20);
    try {
      const res = await rawHttp({
        port,
        method: 'POST',
        path: '/api_3/build/create/upload',
        headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(1024 * MiB) },
        streamChunk: 256 * 1024,
        maxStream: 128 * MiB,
      });
      expect(res.status).toBe(401);
      expect(res.sentBeforeAnswer).toBeLessThan(16 * MiB);
    } finally {
      clearInterval(sampler);
    }
    // The old server buffered the body (and a base64 copy): 128 MiB sent meant 128+ MiB more.
    expect(peak - before).toBeLessThan(48 * MiB);
    expect(child.exitCode).toBeNull();
    expect(await answers()).toBe(200);
  });
});
