import { GetCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../functions/store/dynamo-client.js';
import { keys } from '../functions/store/table.js';
import { createProject, type CoprClient } from '../test/support/copr-client.js';
import { inParallel, ms, percentile, ratio, runLoad, skipped, type BenchPart, type LoadResult, type PartResult } from './harness.js';
import { startBenchStack } from './local-stack.js';

/**
 * API read cost: `GET /api_3/project` and `GET /api_3/package/list` on the local
 * service, each beside the same number of raw DynamoDB Local calls that fetch the
 * same items (GetItem of the project, Query of the package partition) with the
 * DocumentClient. The ratio is what the HTTP server, routing, auth-less request
 * handling, zod, serialization and the extra reads of the handler add over the
 * store's own cost. Client and server share this process (and the 2 cores with
 * DynamoDB Local), so both sides include client-side work.
 */
const OWNER = 'alice';
const PROJECT = 'bench';
const PACKAGES = 50;
const CONCURRENCY = 8;
const REQUESTS = 2000;
const WARMUP = 200;

async function addPackages(alice: CoprClient): Promise<void> {
  const names = Array.from({ length: PACKAGES }, (_, i) => `python-pkg${String(i).padStart(2, '0')}`);
  await inParallel(names, CONCURRENCY, async (name) => {
    const res = await alice.send('POST', `package/add/${OWNER}/${PROJECT}/${name}/pypi`, {
      query: { ownername: OWNER, projectname: PROJECT, package_name: name, source_type_text: 'pypi' },
      json: {
        package_name: name,
        pypi_package_name: name.replace(/^python-/, ''),
        pypi_package_version: null,
        spec_generator: 'pyp2spec',
        spec_template: null,
        python_versions: [3],
        max_builds: null,
        timeout: null,
        webhook_rebuild: null,
      },
    });
    if (res.status !== 200) throw new Error(`package/add ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  });
}

/** DynamoDB calls one request makes (the service shares this DocumentClient: one per endpoint). */
async function storeCalls(db: DynamoDBDocumentClient, call: () => Promise<void>): Promise<number> {
  let n = 0;
  const name = 'bench-count-calls';
  db.middlewareStack.add((next) => async (args) => {
    n++;
    return next(args);
  }, { step: 'initialize', name });
  try {
    await call();
  } finally {
    db.middlewareStack.remove(name);
  }
  return n;
}

async function measure(call: () => Promise<void>): Promise<LoadResult> {
  await runLoad(WARMUP, CONCURRENCY, call);
  return runLoad(REQUESTS, CONCURRENCY, call);
}

export const apiPart: BenchPart = {
  name: 'api',
  title: 'API reads vs raw DynamoDB Local',
  async run(): Promise<PartResult> {
    const stack = await startBenchStack();
    try {
      const alice = await stack.user(OWNER);
      const created = await createProject(alice, OWNER, PROJECT, { chroots: ['fedora-44-x86_64', 'epel-10-x86_64'] });
      if (created.status !== 200) return skipped(`project/add answered ${created.status}`);
      await addPackages(alice);
      const list = await alice.get<{ items?: unknown[] }>('package/list', { ownername: OWNER, projectname: PROJECT });
      if (list.status !== 200 || list.body.items?.length !== PACKAGES) {
        return skipped(`package/list answered ${list.status} with ${list.body.items?.length ?? 0} items`);
      }

      const db = documentClient(stack.endpoint);
      const TableName = stack.tableName;
      const ok = (what: string, status: number) => {
        if (status !== 200) throw new Error(`${what} answered ${status}`);
      };
      const apiProject = () => alice.get('project', { ownername: OWNER, projectname: PROJECT }).then((r) => ok('project', r.status));
      const apiPackages = () => alice.get('package/list', { ownername: OWNER, projectname: PROJECT }).then((r) => ok('package/list', r.status));
      const rawProject = async () => {
        const res = await db.send(new GetCommand({ TableName, Key: keys.project(OWNER, PROJECT) }));
        if (!res.Item) throw new Error('raw GetItem found no project');
      };
      const rawPackages = async () => {
        // Paged like the store does, so a partition larger than 1 MB would still be read whole.
        let start: QueryCommandOutput['LastEvaluatedKey'];
        let n = 0;
        do {
          const res = await db.send(
            new QueryCommand({
              TableName,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
              ExpressionAttributeValues: { ':pk': keys.projectPartition(OWNER, PROJECT), ':p': keys.packagePrefix },
              ExclusiveStartKey: start,
            }),
          );
          n += res.Items?.length ?? 0;
          start = res.LastEvaluatedKey;
        } while (start);
        if (n !== PACKAGES) throw new Error(`raw Query found ${n} packages`);
      };

      const calls = [await storeCalls(db, apiProject), await storeCalls(db, apiPackages)];
      const pairs: Array<[string, LoadResult, string, LoadResult]> = [
        ['GET /api_3/project', await measure(apiProject), 'GetItem project', await measure(rawProject)],
        [`GET /api_3/package/list (${PACKAGES} pkgs)`, await measure(apiPackages), 'Query package partition', await measure(rawPackages)],
      ];
      const rows = pairs.flatMap(([apiName, api, rawName, raw], i) => [
        [apiName, api.perSecond.toFixed(0), ms(percentile(api.latencies, 50)), ms(percentile(api.latencies, 99)), `${calls[i]} DynamoDB calls per request`],
        [`  raw ${rawName}`, raw.perSecond.toFixed(0), ms(percentile(raw.latencies, 50)), ms(percentile(raw.latencies, 99)), ''],
        [
          '  ratio (API / raw)',
          ratio(raw.perSecond, api.perSecond),
          ratio(percentile(api.latencies, 50), percentile(raw.latencies, 50)),
          ratio(percentile(api.latencies, 99), percentile(raw.latencies, 99)),
          'cost per request, API over store',
        ],
      ]);
      return {
        tables: [
          {
            title: `API reads, ${REQUESTS} requests at concurrency ${CONCURRENCY} (after ${WARMUP} warm-up)`,
            head: ['call', 'req/s', 'p50 ms', 'p99 ms', 'note'],
            rows,
            notes: [
              'API: anonymous GET through the local HTTP server on 127.0.0.1 (keep-alive fetch, copr-cli headers).',
              'raw: the same items read with the DocumentClient straight from the same DynamoDB Local table.',
              'req/s ratio is raw req/s over API req/s (how many times more a request costs through the API).',
            ],
          },
        ],
      };
    } finally {
      await stack.stop();
    }
  },
};
