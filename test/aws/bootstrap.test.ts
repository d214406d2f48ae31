import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenMatches } from '../../functions/core/api-tokens.js';
import { DEFAULT_MOCK_CHROOTS } from '../../functions/core/mock-chroots.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoStore } from '../../functions/store/dynamo-store.js';
import { ensureTable } from '../../functions/store/table-admin.js';

/**
 * The stack's bootstrap function (functions/handlers/bootstrap.ts) against DynamoDB
 * Local: as CloudFormation calls it (custom resource, answer PUT to the response
 * URL) it seeds the default chroots; as the operator calls it, it makes the first
 * admin and returns a working API token.
 */
const table = `t-${randomUUID()}`;
let store: DynamoStore;
let server: Server;
let responseUrl: string;
const responses: Array<Record<string, unknown>> = [];
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let handler: Handler;

beforeAll(async () => {
  const db = documentClient(process.env.DYNAMODB_ENDPOINT);
  await ensureTable(db, table);
  store = new DynamoStore(db, table);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      responses.push({ method: req.method, url: req.url, ...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as object) });
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response?sig=x`;
  // The handler reads its configuration from the environment, as on Lambda.
  process.env.TABLE_NAME = table;
  process.env.FRONTEND_URL = 'https://copr.example.org';
  ({ handler } = (await import('../../functions/handlers/bootstrap.js')) as { handler: Handler });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const cfnEvent = (type: 'Create' | 'Update' | 'Delete') => ({
  RequestType: type,
  ResponseURL: responseUrl,
  StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/Copr-dev/x',
  RequestId: randomUUID(),
  LogicalResourceId: 'BootstrapSeedChroots',
  ResourceType: 'Custom::CoprSeedChroots',
  ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:x',
  ResourceProperties: { DefaultChroots: 'abc' },
});

describe('bootstrap function', () => {
  it('seeds the default chroots on Create and answers CloudFormation', async () => {
    const event = cfnEvent('Create');
    await handler(event, {});
    const names = (await store.listMockChroots()).map((c) => c.name).sort();
    expect(names).toEqual(DEFAULT_MOCK_CHROOTS.map((c) => c.name).sort());
    expect(responses.at(-1)).toMatchObject({
      method: 'PUT',
      Status: 'SUCCESS',
      RequestId: event.RequestId,
      LogicalResourceId: 'BootstrapSeedChroots',
      PhysicalResourceId: 'copr-default-chroots',
      Data: { ChrootsAdded: DEFAULT_MOCK_CHROOTS.length },
    });
  });

  it("keeps an admin's changes on Update and leaves chroots alone on Delete", async () => {
    const first = DEFAULT_MOCK_CHROOTS[0]!.name;
    const c = (await store.listMockChroots()).find((x) => x.name === first)!;
    await store.putMockChroot({ ...c, is_active: false, comment: 'off for now' });
    await handler({ ...cfnEvent('Update'), PhysicalResourceId: 'copr-default-chroots' }, {});
    expect(responses.at(-1)).toMatchObject({ Status: 'SUCCESS', Data: { ChrootsAdded: 0 } });
    expect((await store.listMockChroots()).find((x) => x.name === first)).toMatchObject({ is_active: false, comment: 'off for now' });
    await handler({ ...cfnEvent('Delete'), PhysicalResourceId: 'copr-default-chroots' }, {});
    expect(responses.at(-1)).toMatchObject({ Status: 'SUCCESS' });
    expect((await store.listMockChroots()).length).toBe(DEFAULT_MOCK_CHROOTS.length);
  });

  it('makes the first admin and returns a working token and copr-cli config', async () => {
    const out = (await handler({ action: 'make-admin', username: 'alice' }, {})) as Record<string, string>;
    expect(out).toMatchObject({ ok: true, username: 'alice' });
    const user = await store.getUser('alice');
    expect(user?.admin).toBe(true);
    expect(user?.api_login).toBe(out.login);
    expect(tokenMatches(out.token!, user!.api_token_hash)).toBe(true);
    expect(out.copr_cli_config).toContain('copr_url = https://copr.example.org');
    expect(out.copr_cli_config).toContain(`token = ${out.token}`);

    // Again: a new token replaces the old one; the user stays admin.
    const again = (await handler({ action: 'make-admin', username: 'alice' }, {})) as Record<string, string>;
    const after = await store.getUser('alice');
    expect(tokenMatches(out.token!, after!.api_token_hash)).toBe(false);
    expect(tokenMatches(again.token!, after!.api_token_hash)).toBe(true);
  });

  it('refuses anything else without touching the table', async () => {
    expect(await handler({ action: 'make-admin', username: '../x' }, {})).toMatchObject({ ok: false });
    expect(await handler({ hello: 1 }, {})).toMatchObject({ ok: false });
    expect(await store.getUser('../x')).toBeNull();
  });
});
