import middy from '@middy/core';
import * as z from 'zod';
import { jsonLogger } from '../adapters/json-logger.js';
import { CustomResourceEvent, sendResponse } from '../aws/cfn-response.js';
import { loadConfig } from '../config.js';
import { makeAdmin } from '../core/first-admin.js';
import { seedMockChroots } from '../core/mock-chroots.js';
import { isValidUserName } from '../core/names.js';
import { systemClock } from '../core/ports.js';
import { documentClient } from '../store/dynamo-client.js';
import { DynamoStore } from '../store/dynamo-store.js';

/**
 * A fresh stack's setup, two ways in:
 * - CloudFormation (custom resource SeedChroots, on every create/update): adds the
 *   default chroots that are missing, with the same code `npm start` seeds with.
 * - The operator, once: `aws lambda invoke --payload '{"action":"make-admin","username":"alice"}'`
 *   makes alice a site admin and answers with her API token and a copr-cli config.
 *   Whoever may invoke this function is already an AWS administrator of the stack.
 */
const config = loadConfig();
const log = jsonLogger({ component: 'bootstrap' });
const store = new DynamoStore(documentClient(config.DYNAMODB_ENDPOINT, config.AWS_REGION), config.TABLE_NAME);

const MakeAdmin = z.object({ action: z.literal('make-admin'), username: z.string().refine(isValidUserName, 'invalid user name') });

export const handler = middy().handler(async (event: unknown) => {
  const cfn = CustomResourceEvent.safeParse(event);
  if (cfn.success) return onCustomResource(cfn.data);
  const cmd = MakeAdmin.safeParse(event);
  if (!cmd.success) {
    return { ok: false, error: 'expected {"action":"make-admin","username":"<name>"} or a CloudFormation custom resource event' };
  }
  const token = await makeAdmin(store, systemClock, cmd.data.username, config.API_TOKEN_DAYS);
  log.info('make-admin', { username: cmd.data.username });
  return {
    ok: true,
    username: cmd.data.username,
    login: token.api_login,
    token: token.api_token,
    expiration: token.api_token_expiration,
    copr_cli_config: [
      '[copr-cli]',
      `login = ${token.api_login}`,
      `username = ${cmd.data.username}`,
      `token = ${token.api_token}`,
      `copr_url = ${config.FRONTEND_URL}`,
      `# expiration date: ${token.api_token_expiration}`,
      '',
    ].join('\n'),
  };
});

async function onCustomResource(event: CustomResourceEvent): Promise<void> {
  const physicalResourceId = event.PhysicalResourceId ?? 'copr-default-chroots';
  if (event.RequestType === 'Delete') {
    // Chroots are data: deleting the stack (or this resource) leaves them alone.
    await sendResponse(event, { status: 'SUCCESS', physicalResourceId });
    return;
  }
  try {
    const added = await seedMockChroots(store);
    log.info('seed-chroots', { added });
    await sendResponse(event, { status: 'SUCCESS', physicalResourceId, data: { ChrootsAdded: added } });
  } catch (err) {
    log.error('seed-chroots failed', { error: (err as Error).name, message: (err as Error).message });
    await sendResponse(event, { status: 'FAILED', physicalResourceId, reason: `Seeding the default chroots failed: ${(err as Error).message}` });
  }
}
