import { randomUUID } from 'node:crypto';
import { DescribeInstancesCommand, EC2Client, type DescribeInstancesCommandInput, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { interceptLocalhostDns } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUILD_SETTINGS, submitBuild } from '../../functions/core/builds.js';
import { mockChroot } from '../../functions/core/mock-chroots.js';
import type { Caller } from '../../functions/core/model.js';
import { createProject } from '../../functions/core/projects.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { DynamoStore } from '../../functions/store/dynamo-store.js';
import { ensureTable } from '../../functions/store/table-admin.js';
import { hashCredential } from '../../functions/core/dispatcher.js';
import { startLocalAws, type Fauxqs } from './fauxqs.js';

// EC2 cannot run here; DynamoDB is the real DynamoDB Local.
const ec2Mock = mockClient(EC2Client);

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

const lambdaContext = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:test',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

function httpEvent(method: string, rawPath: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: '',
    headers: { host: 'api.example.org', 'user-agent': 'copr-cli/2.0', accept: 'application/json' },
    isBase64Encoded: false,
    requestContext: {
      accountId: '111122223333',
      apiId: 'abc123',
      domainName: 'api.example.org',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'copr-cli/2.0' },
      requestId: 'r-1',
      routeKey: '$default',
      stage: '$default',
      time: '21/Nov/2026:19:00:00 +0000',
      timeEpoch: 1_795_000_000_000,
    },
  };
}

/** The dashboard shell as the stack hands it to the API function (DASHBOARD_SHELL). */
const SHELL = '<!doctype html><html><head><title>Copr</title><script type="module" src="/assets/app.js"></script></head><body><div id="app"></div><noscript>The Copr dashboard needs JavaScript.</noscript></body></html>';

function sqsEvent(...ids: string[]): SQSEvent {
  return {
    Records: ids.map((messageId) => ({
      messageId,
      receiptHandle: `rh-${messageId}`,
      body: JSON.stringify({ wake: 'api' }),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1', SenderId: 'x', ApproximateFirstReceiveTimestamp: '1' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:dispatch',
      awsRegion: 'us-east-1',
    })),
  };
}

describe('Lambda handlers with the AWS composition', () => {
  const table = `handlers-${randomUUID()}`;
  let store: DynamoStore;
  let builds: DynamoBuildStore;
  let dispatcher: Handler<SQSEvent, SQSBatchResponse>;
  let api: Handler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
  let reaper: Handler<unknown, { requeued: string[]; failed: string[]; strays: string[] }>;
  let aws: Fauxqs;
  let dispatchQueue: string;
  let restoreDns: (() => void) | undefined;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    aws = await startLocalAws();
    // The composition's SQS client takes no endpoint: it sends to the queue URL's host,
    // which fauxqs names `sqs.<region>.localhost`. Resolve those to 127.0.0.1 in this process.
    restoreDns = interceptLocalhostDns();
    dispatchQueue = aws.server.createQueue('dispatch').queueUrl;
    const db = documentClient(process.env.DYNAMODB_ENDPOINT);
    await ensureTable(db, table);
    store = new DynamoStore(db, table);
    builds = new DynamoBuildStore(db, table);
    // The handlers read their configuration when the modules load: set it first.
    Object.assign(process.env, {
      TABLE_NAME: table,
      FRONTEND_URL: 'https://copr.example.org',
      RESULTS_BASE_URL: 'https://results.example.org/results',
      RESULTS_BUCKET: 'results',
      BUILDER_LAUNCH_TEMPLATES: JSON.stringify({ x86_64: 'lt-0x86', aarch64: 'lt-0arm' }),
      BUILDER_SUBNETS: 'subnet-1, subnet-2',
      BUILDER_TAG_VALUE: 'copr-test',
      MAX_BUILDERS: '4',
      DISPATCH_QUEUE_URL: dispatchQueue,
      PUBLISH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/publish.fifo',
      DASHBOARD_SHELL: SHELL,
    });
    dispatcher = (await import('../../functions/handlers/dispatcher.js')).handler;
    api = (await import('../../functions/handlers/api.js')).handler;
    reaper = (await import('../../functions/handlers/reaper.js')).handler as typeof reaper;
  });
  afterAll(async () => {
    ec2Mock.restore();
    process.env = savedEnv;
    restoreDns?.();
    await aws?.stop();
  });

  const caller: Caller = {
    user: { id: 1, name: 'alice', admin: false, groups: [], api_login: 'l', api_token_hash: 'h', api_token_expiration: '2099-12-31', created_on: 0 },
  };
  const clock = { now: () => Date.now() };
  const submit = () =>
    submitBuild({ store, builds, clock, settings: DEFAULT_BUILD_SETTINGS, wake: async () => {} }, caller, {
      ownername: 'alice',
      projectname: 'proj',
      source_type: 'link',
      source_dict: { url: 'https://example.org/x.src.rpm' },
      options: {},
    });

  it('dispatcher: an SQS wake-up launches one EC2 builder for the pending task', async () => {
    ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-0abc' }] });
    await store.putMockChroot(mockChroot('fedora-44-x86_64'));
    await createProject(store, clock, caller, 'alice', { name: 'proj', chroots: ['fedora-44-x86_64'] }, false);
    const build = await submit();

    const res = await dispatcher(sqsEvent('w1', 'w2'), lambdaContext);
    expect(res).toEqual({ batchItemFailures: [] });

    const calls = ec2Mock.commandCalls(RunInstancesCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    const taskId = String(build.id);
    expect(input.LaunchTemplate).toEqual({ LaunchTemplateId: 'lt-0x86', Version: '$Latest' });
    expect(input.SubnetId).toBe('subnet-1');
    expect(input.TagSpecifications?.[0]?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'copr:builder', Value: 'copr-test' },
        { Key: 'copr:task-id', Value: taskId },
        { Key: 'copr:build-id', Value: taskId },
      ]),
    );
    const userData = Buffer.from(input.UserData ?? '', 'base64').toString('utf8');
    expect(userData).toContain("COPR_API_URL='https://copr.example.org'");
    expect(userData).toContain(`COPR_TASK_ID='${taskId}'`);
    expect(userData).toMatch(new RegExp(`COPR_TASK_CREDENTIAL='${taskId}\\.[A-Za-z0-9_-]+'`));

    // The table agrees: the task is claimed by the builder the instance was tagged with.
    const task = await builds.getTask(taskId);
    expect(task?.state).toBe('starting');
    expect(task?.builder_id).toBe(input.ClientToken);

    // Nothing pending any more: another wake-up launches nothing.
    expect(await dispatcher(sqsEvent('w3'), lambdaContext)).toEqual({ batchItemFailures: [] });
    expect(ec2Mock.commandCalls(RunInstancesCommand)).toHaveLength(1);
  });

  it('reaper: a silent builder and a stray are terminated, the task requeued and the dispatcher woken', async () => {
    const tags = (builderId: string) => [
      { Key: 'copr:builder', Value: 'copr-test' },
      { Key: 'copr:builder-id', Value: builderId },
    ];
    ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
      const byId = input.Filters?.find((f) => f.Name === 'tag:copr:builder-id')?.Values?.[0];
      if (byId) return { Reservations: [{ Instances: [{ InstanceId: `i-${byId}` }] }] };
      // The fleet listing: an old instance no task points at, and one launched just now.
      return {
        Reservations: [
          { Instances: [{ InstanceId: 'i-stray', Tags: tags('stray-1'), LaunchTime: new Date(Date.now() - 3_600_000) }] },
          { Instances: [{ InstanceId: 'i-new', Tags: tags('fresh-1'), LaunchTime: new Date() }] },
        ],
      };
    });
    ec2Mock.on(TerminateInstancesCommand).resolves({});
    const build = await submit();
    const taskId = String(build.id);
    const claimedAt = Date.now() - 10 * 60_000; // last heartbeat 10 minutes ago
    expect(
      await builds.claimTask(taskId, { builder_id: 'lost-builder', credential_hash: hashCredential('c'), credential_expires: claimedAt + 3_600_000, now: claimedAt }),
    ).toBe(true);

    const res = await reaper({}, lambdaContext);
    expect(res).toEqual({ requeued: [taskId], failed: [], closed: [], strays: ['stray-1'] });
    expect(ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceIds: ['i-lost-builder'] },
      { InstanceIds: ['i-stray-1'] },
    ]);
    expect((await builds.getTask(taskId))?.state).toBe('pending');
    const msgs = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: dispatchQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    expect((msgs.Messages ?? []).length).toBeGreaterThanOrEqual(1);
    expect((msgs.Messages ?? []).every((m) => (JSON.parse(m.Body ?? '') as { wake?: unknown }).wake === 'api')).toBe(true);
  });

  it('api: GET /api_3/ answers like Copr', async () => {
    const res = await api(httpEvent('GET', '/api_3/'), lambdaContext);
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body ?? '')).toEqual({ version: 3 });
  });

  it('api: an unknown API route is a Copr JSON 404', async () => {
    const res = await api(httpEvent('GET', '/api_3/no-such-thing'), lambdaContext);
    expect(res.statusCode).toBe(404);
    expect(res.headers?.['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body ?? '')).toEqual({ output: 'notok', error: "Such API endpoint doesn't exist" });
  });

  it('api: a project read goes through DynamoDB', async () => {
    const res = await api({ ...httpEvent('GET', '/api_3/project'), rawQueryString: 'ownername=alice&projectname=proj' }, lambdaContext);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '')).toMatchObject({ ownername: 'alice', name: 'proj', full_name: 'alice/proj' });
    const missing = await api({ ...httpEvent('GET', '/api_3/project'), rawQueryString: 'ownername=alice&projectname=nope' }, lambdaContext);
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body ?? '')).toMatchObject({ output: 'notok' });
  });

  it('api: /coprs pages (CloudFront sends them here) are the shell with the server-rendered summary', async () => {
    // `/coprs/` arrives as `/coprs` (CloudFront's CoprsRoot function); both answer the same.
    for (const path of ['/coprs', '/coprs/']) {
      const list = await api(httpEvent('GET', path), lambdaContext);
      expect(list.statusCode, path).toBe(200);
      expect(list.headers?.['content-type']).toBe('text/html; charset=utf-8');
      // The SPA still boots from it: same scripts and mount point, the summary inside <noscript>.
      expect(list.body).toContain('<script type="module" src="/assets/app.js"></script>');
      expect(list.body).toContain('<div id="app"></div>');
      expect(list.body).toMatch(/<noscript>[^]*<a href="\/coprs\/alice\/proj\/">alice\/proj<\/a>[^]*<\/noscript>/);
    }
    const project = await api(httpEvent('GET', '/coprs/alice/proj/'), lambdaContext);
    expect(project.statusCode).toBe(200);
    expect(project.body).toMatch(/<noscript>[^]*<h1>alice\/proj<\/h1>[^]*fedora-44-x86_64[^]*<\/noscript>/);
    // A page without a summary: the shell as deployed. A missing project: 404 with the shell.
    const builds = await api(httpEvent('GET', '/coprs/alice/proj/builds'), lambdaContext);
    expect({ status: builds.statusCode, body: builds.body }).toEqual({ status: 200, body: SHELL });
    const missing = await api(httpEvent('GET', '/coprs/alice/nope/'), lambdaContext);
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('Project alice/nope does not exist.');
    // The .repo files under /coprs are still the API's.
    const repo = await api(httpEvent('GET', '/coprs/alice/proj/repo/fedora-44/alice-proj-fedora-44.repo'), lambdaContext);
    expect(repo.statusCode).toBe(200);
    expect(repo.body).toContain('[copr:copr.example.org:alice:proj]');
  });
});
