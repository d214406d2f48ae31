// Local builder processes get a minimal environment: the server's own (which may hold AWS
// keys, admin tokens, issuer settings) must not reach the agent, and from there a build.
// The fake API never answers the task fetch, so the agent stays alive to be inspected.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFleet } from '../../functions/adapters/local-fleet.js';
import { newBuild, newTask } from '../../functions/core/builds.js';
import { removeDir, tempDir } from '../builder/helpers.js';

describe('local fleet', { timeout: 120_000 }, () => {
  let root: string;
  let server: Server;
  let apiUrl: string;
  let taskFetches = 0;

  beforeAll(async () => {
    root = tempDir('fleet-env');
    server = createServer(() => {
      taskFetches++; // hold the request: the agent waits, as on a slow service
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    removeDir(root);
  });

  it('starts builders with a minimal environment, not the server\'s', async () => {
    process.env.COPR_SERVER_ONLY_SECRET = 'server-env-secret';
    process.env.AWS_SECRET_ACCESS_KEY = 'server-aws-secret';
    const fleet = new LocalFleet({ apiUrl, workDir: join(root, 'builders'), env: { COPR_HEARTBEAT_SECONDS: '5' } });
    try {
      const build = newBuild(5, 'alice', 'proj', { submitter: 'alice' });
      await fleet.launch({ ...newTask(build, 'fedora-41-x86_64', 'x86_64', 0), state: 'starting' }, 'cred-123', 'b-env');
      const pid = fleet.pids().get('b-env') ?? -1;
      await expect.poll(() => taskFetches, { timeout: 90_000 }).toBeGreaterThan(0);
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((e) => e.length > 0);
      const names = environ.map((e) => e.slice(0, e.indexOf('=')));
      expect(names).not.toContain('COPR_SERVER_ONLY_SECRET');
      expect(names).not.toContain('AWS_SECRET_ACCESS_KEY');
      expect(environ.join('\n')).not.toMatch(/server-env-secret|server-aws-secret|cred-123/);
      expect(environ).toContain(`HOME=${join(root, 'builders', 'b-env')}`);
      expect(environ).toContain('COPR_HEARTBEAT_SECONDS=5');
      expect(names).toContain('PATH');
    } finally {
      delete process.env.COPR_SERVER_ONLY_SECRET;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      await fleet.stopAll();
    }
  });
});
