import { randomUUID } from 'node:crypto';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { ensureTable } from '../../functions/store/table-admin.js';

/** A build store on a table of its own in the tests' DynamoDB Local: no test sees another's items. */
export async function freshBuildStore(): Promise<DynamoBuildStore> {
  const db = documentClient(process.env.DYNAMODB_ENDPOINT);
  const table = `t-${randomUUID()}`;
  await ensureTable(db, table);
  return new DynamoBuildStore(db, table);
}

/** A clock the test moves by hand (the core's Clock port). */
export class ManualClock {
  constructor(public t: number) {}
  now = (): number => this.t;
}
