import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startLocalService, type LocalPlugin, type LocalService } from '../../functions/local/service.js';
import { createUser } from '../../functions/core/users.js';
import { CoprClient } from './copr-client.js';

/**
 * A real local service for a test file: the HTTP server and handlers of `npm start`
 * on a random port, a fresh table in the shared DynamoDB Local, a temp data dir.
 */
export interface TestService {
  service: LocalService;
  /** A client with no credentials. */
  anon: CoprClient;
  /** Creates a user with API credentials and returns a client speaking as them. */
  user(name: string, opts?: { admin?: boolean; groups?: string[] }): Promise<CoprClient>;
  stop(): Promise<void>;
}

export async function startTestService(opts: { plugins?: LocalPlugin[]; env?: Record<string, string> } = {}): Promise<TestService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'copr-test-'));
  const service = await startLocalService({
    dataDir,
    port: 0,
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
    tableName: `t-${randomUUID()}`,
    plugins: opts.plugins,
    // Tests log in through the local issuer; test/security starts services without it.
    env: { COPR_DEV_LOGIN: '1', ...opts.env },
  });
  return {
    service,
    anon: new CoprClient(service.url, null),
    async user(name, o = {}) {
      const { token } = await createUser(service.ctx.store, service.ctx.clock, name, o);
      for (const g of o.groups ?? []) {
        if (!(await service.ctx.store.getGroup(g))) {
          await service.ctx.store.createGroup({ id: await service.ctx.store.nextId('group'), name: g, created_on: 0 });
        }
      }
      return new CoprClient(service.url, { login: token.api_login, token: token.api_token }, name);
    },
    async stop() {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
