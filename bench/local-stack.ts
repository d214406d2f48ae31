import { startDynamoDbLocal, type DynamoDbLocal } from '../functions/local/dynamodb-local.js';
import { startLocalService, type LocalPlugin, type LocalService } from '../functions/local/service.js';
import { createUser } from '../functions/core/users.js';
import { CoprClient } from '../test/support/copr-client.js';
import { tempDir } from './harness.js';

/**
 * The real local stack for one benchmark part: its own in-memory DynamoDB Local
 * (so parts do not share JVM or table state), the service of `npm start` on a
 * random 127.0.0.1 port, and a temp data dir removed on stop.
 */
export interface BenchStack {
  service: LocalService;
  endpoint: string;
  tableName: string;
  /** A user with API credentials, and a client speaking as them. */
  user(name: string): Promise<CoprClient>;
  stop(): Promise<void>;
}

export async function startBenchDynamo(): Promise<DynamoDbLocal> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return startDynamoDbLocal();
}

export async function startBenchStack(plugins: LocalPlugin[] = []): Promise<BenchStack> {
  // Builder and dispatcher chatter would bury the tables.
  process.env.COPR_QUIET = '1';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = tempDir('stack');
  const ddb = await startBenchDynamo();
  const tableName = 'copr-bench';
  let service: LocalService;
  try {
    service = await startLocalService({ dataDir: dir.path, port: 0, dynamoEndpoint: ddb.endpoint, tableName, plugins });
  } catch (err) {
    await ddb.stop();
    dir.remove();
    throw err;
  }
  return {
    service,
    endpoint: ddb.endpoint,
    tableName,
    async user(name) {
      const { token } = await createUser(service.ctx.store, service.ctx.clock, name);
      return new CoprClient(service.url, { login: token.api_login, token: token.api_token }, name);
    },
    async stop() {
      await service.stop();
      await ddb.stop();
      dir.remove();
    },
  };
}
