import * as fs from 'node:fs';
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { JOBS } from '../../functions/core/maintenance.js';
import { KmsKeyStore } from '../../functions/publish/kms-key-store.js';
import { TTL_ATTRIBUTE, tableDefinition } from '../../functions/store/table.js';
import { HEARTBEAT_SECONDS } from '../../functions/core/builder-protocol.js';
import { BACKEND_ROUTE_KEY, BACKEND_THROTTLE, USER_THROTTLE } from '../../lib/constructs/api.js';
import { sourceHash } from '../../lib/constructs/publisher.js';
import { ENTRY_METADATA_KEY, LAMBDA_HANDLERS, repoPath } from '../../lib/handlers.js';
import {
  type Statement,
  type Synthesized,
  actionsOf,
  actionsOfRole,
  resourcesOf,
  statementsOfRole,
  synthStack,
} from './synth.js';

// Variables of functions/config.ts, read from its zod schema so a new config key shows up here.
const CONFIG_KEYS = [...fs.readFileSync(repoPath('functions/config.ts'), 'utf8').matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map(
  (m) => m[1],
);
// Variables the AWS wiring adds on top of config.ts (see the report to the lead), plus the runtime flag.
const EXTRA_KEYS = [
  'BUILDER_LAUNCH_TEMPLATES',
  'BUILDER_SUBNETS',
  'MAX_BUILDERS',
  'SIGNING_KMS_KEY_ID',
  'PUBLISHER_CLUSTER_ARN',
  'PUBLISHER_TASK_DEFINITION_ARN',
  'PUBLISHER_CONTAINER_NAME',
  'PUBLISHER_SUBNETS',
  'PUBLISHER_SECURITY_GROUP',
  'PUBLISHER_ASSIGN_PUBLIC_IP',
  'NODE_OPTIONS',
];

/** Exactly what each function may see; anything more is a permission or a leak nobody asked for. */
const EXPECTED_ENV: Record<string, string[]> = {
  [LAMBDA_HANDLERS.api]: [
    'TABLE_NAME',
    'FRONTEND_URL',
    'RESULTS_BASE_URL',
    'RESULTS_BUCKET',
    'OIDC_ISSUER',
    'OIDC_AUDIENCE',
    'OIDC_USERNAME_CLAIM',
    'DISPATCH_QUEUE_URL',
    'PUBLISH_QUEUE_URL',
    'ACTION_QUEUE_URL',
    'EVENT_BUS_NAME',
    'MAX_UPLOAD_BYTES',
    'BUILDER_REUSE',
    'BUILDER_IDLE_SECONDS',
    'DASHBOARD_SHELL',
    'NODE_OPTIONS',
  ],
  [LAMBDA_HANDLERS.dispatcher]: [
    'TABLE_NAME',
    'RESULTS_BUCKET',
    'FRONTEND_URL',
    'BUILDER_LAUNCH_TEMPLATES',
    'BUILDER_SUBNETS',
    'MAX_BUILDERS',
    'BUILDER_TAG_VALUE',
    'DISPATCH_QUEUE_URL',
    'BUILDER_INSTANCE_TYPES',
    'BUILDER_REUSE',
    'BUILDER_IDLE_SECONDS',
    'BUILDER_DISTGIT_LOOKASIDE',
    'NODE_OPTIONS',
  ],
  [LAMBDA_HANDLERS.reaper]: [
    'TABLE_NAME',
    'RESULTS_BUCKET',
    'DISPATCH_QUEUE_URL',
    'PUBLISH_QUEUE_URL',
    'EVENT_BUS_NAME',
    'BUILDER_TAG_VALUE',
    'NODE_OPTIONS',
  ],
  [LAMBDA_HANDLERS.publishTrigger]: [
    'TABLE_NAME',
    'PUBLISHER_CLUSTER_ARN',
    'PUBLISHER_TASK_DEFINITION_ARN',
    'PUBLISHER_CONTAINER_NAME',
    'PUBLISHER_SUBNETS',
    'PUBLISHER_SECURITY_GROUP',
    'PUBLISHER_ASSIGN_PUBLIC_IP',
    'NODE_OPTIONS',
  ],
  [LAMBDA_HANDLERS.actions]: ['TABLE_NAME', 'RESULTS_BUCKET', 'RESULTS_BASE_URL', 'PUBLISH_QUEUE_URL', 'NODE_OPTIONS'],
  [LAMBDA_HANDLERS.maintenance]: [
    'TABLE_NAME',
    'RESULTS_BUCKET',
    'DISPATCH_QUEUE_URL',
    'PUBLISH_QUEUE_URL',
    'ACTION_QUEUE_URL',
    'EVENT_BUS_NAME',
    'BUILDER_TAG_VALUE',
    'NODE_OPTIONS',
  ],
  [LAMBDA_HANDLERS.resultsListing]: ['RESULTS_BUCKET', 'NODE_OPTIONS'],
  [LAMBDA_HANDLERS.bootstrap]: ['TABLE_NAME', 'FRONTEND_URL', 'NODE_OPTIONS'],
};

let s: Synthesized;
let sourcesBefore: string;

beforeAll(() => {
  sourcesBefore = sourceHash(repoPath('.'));
  s = synthStack({ stage: 'dev' });
});

const logicalId = (construct: { node: { defaultChild?: unknown } }): string =>
  Stack.of(s.stack).getLogicalId(construct.node.defaultChild as CfnResource);

interface FunctionInfo {
  entry: string;
  env: Record<string, unknown>;
  roleId: string;
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` of a construct's CloudFormation resource. */
const arnOf = (construct: { node: { defaultChild?: unknown } }) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });

const fnOf = (entry: string): FunctionInfo => {
  const found = ourFunctions().find((f) => f.entry === entry);
  if (found === undefined) throw new Error(`no function for ${entry}`);
  return found;
};

/** Statements of a role that grant any action matching `re`. */
const grantsOf = (roleId: string, re: RegExp): Statement[] =>
  statementsOfRole(s.template, roleId).filter((st) => actionsOf(st).some((a) => re.test(a)));

function ourFunctions(): FunctionInfo[] {
  return Object.values(resourcesOf(s.template, 'AWS::Lambda::Function'))
    .filter((fn) => fn.Metadata?.[ENTRY_METADATA_KEY] !== undefined)
    .map((fn) => {
      const props = fn.Properties ?? {};
      const role = props.Role as { 'Fn::GetAtt': [string, string] };
      return {
        entry: String(fn.Metadata?.[ENTRY_METADATA_KEY]),
        env: ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}),
        roleId: role['Fn::GetAtt'][0],
      };
    });
}

describe('Data', () => {
  it('creates the table with the keys and GSIs of functions/store/table.ts', () => {
    const def = tableDefinition('x');
    s.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: def.KeySchema,
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      GlobalSecondaryIndexes: (def.GlobalSecondaryIndexes ?? []).map((g) => ({
        IndexName: g.IndexName,
        KeySchema: g.KeySchema,
        Projection: { ProjectionType: g.Projection?.ProjectionType },
      })),
      AttributeDefinitions: Match.arrayWith(def.AttributeDefinitions ?? []),
    });
  });

  it('can be deleted in dev', () => {
    s.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });
});

describe('API throttling', () => {
  it('throttles the builders on a route limit of their own, apart from the users', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: USER_THROTTLE.rateLimit, ThrottlingBurstLimit: USER_THROTTLE.burstLimit },
      RouteSettings: {
        [BACKEND_ROUTE_KEY]: { ThrottlingRateLimit: BACKEND_THROTTLE.rateLimit, ThrottlingBurstLimit: BACKEND_THROTTLE.burstLimit },
      },
    });
    expect(BACKEND_ROUTE_KEY).toBe('ANY /backend/{proxy+}');
    // The stage names the route in its settings, so it is created after it.
    const routes = resourcesOf(s.template, 'AWS::ApiGatewayV2::Route');
    const backend = Object.entries(routes).find(([, r]) => r.Properties?.RouteKey === BACKEND_ROUTE_KEY)?.[0];
    expect(backend).toBeDefined();
    const stage = Object.values(resourcesOf(s.template, 'AWS::ApiGatewayV2::Stage'))[0] as { DependsOn?: string[] };
    expect(stage.DependsOn).toContain(backend);
  });

  it('sizes the builder limit for 1,000 builders with headroom', () => {
    // Per builder: a heartbeat and a live-log chunk every interval, plus about 15 calls
    // per task (task, started, upload URLs, finished) at 10-minute tasks.
    const perBuilder = 2 / HEARTBEAT_SECONDS + 15 / 600;
    const atThousand = 1000 * perBuilder;
    expect(BACKEND_THROTTLE.rateLimit ?? 0).toBeGreaterThanOrEqual(3 * atThousand);
    expect(BACKEND_THROTTLE.burstLimit ?? 0).toBeGreaterThanOrEqual(BACKEND_THROTTLE.rateLimit ?? 0);
    // Users' throttle is the stage's and smaller: a user flood cannot starve the builders' share.
    expect(USER_THROTTLE.rateLimit ?? 0).toBeLessThan(BACKEND_THROTTLE.rateLimit ?? 0);
  });
});

describe('Queues', () => {
  it('gives every work queue a dead-letter queue of the same kind', () => {
    const queues = resourcesOf(s.template, 'AWS::SQS::Queue');
    type Redrive = { deadLetterTargetArn: { 'Fn::GetAtt': [string, string] } };
    const dlqOf = (q: { Properties?: Record<string, unknown> }) =>
      (q.Properties?.RedrivePolicy as Redrive).deadLetterTargetArn['Fn::GetAtt'][0];
    const work = Object.entries(queues).filter(([, q]) => q.Properties?.RedrivePolicy !== undefined);
    const dlqIds = new Set(work.map(([, q]) => dlqOf(q)));
    expect(work).toHaveLength(3);
    expect(dlqIds.size).toBe(3);
    // Every queue is either a work queue or one of their DLQs.
    expect(Object.keys(queues).sort()).toEqual([...work.map(([id]) => id), ...dlqIds].sort());
    for (const [, q] of work) expect(queues[dlqOf(q)]?.Properties?.FifoQueue).toBe(q.Properties?.FifoQueue);
  });

  it('makes the publish queue FIFO, the others standard', () => {
    const fifo = s.template.findResources('AWS::SQS::Queue', {
      Properties: { FifoQueue: true, RedrivePolicy: Match.anyValue() },
    });
    expect(Object.keys(fifo)).toEqual([logicalId(s.stack.queues.publish.queue)]);
    s.template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, ContentBasedDeduplication: true });
  });

  it('consumes all three queues with partial batch failures', () => {
    const mappings = resourcesOf(s.template, 'AWS::Lambda::EventSourceMapping');
    expect(Object.keys(mappings)).toHaveLength(3);
    for (const m of Object.values(mappings)) {
      expect(m.Properties?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    }
  });

  it('alarms on DLQ depth and oldest message age of every queue', () => {
    const alarms = Object.values(resourcesOf(s.template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties?.MetricName);
    expect(alarms.filter((m) => m === 'ApproximateNumberOfMessagesVisible')).toHaveLength(3);
    expect(alarms.filter((m) => m === 'ApproximateAgeOfOldestMessage')).toHaveLength(3);
    expect(alarms).toContain('5xx');
    expect(alarms).toContain('BuildsFailed');
  });
});

describe('Builders', () => {
  it('has one launch template per architecture, IMDSv2 only, terminating on shutdown', () => {
    const templates = Object.values(resourcesOf(s.template, 'AWS::EC2::LaunchTemplate'));
    expect(templates).toHaveLength(2);
    for (const lt of templates) {
      const data = lt.Properties?.LaunchTemplateData as Record<string, unknown>;
      expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
      expect(data.InstanceInitiatedShutdownBehavior).toBe('terminate');
      // The pipeline's SSM parameter, resolved by EC2 at launch: no lookup at synth.
      expect(String(data.ImageId)).toMatch(/^resolve:ssm:\/imagebuilder\/copr\/dev\/builder-ami\/(x86_64|aarch64)$/);
      expect(data.InstanceMarketOptions).toBeUndefined();
    }
  });

  it('lets nothing connect to builders or publisher tasks', () => {
    s.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    for (const sg of Object.values(resourcesOf(s.template, 'AWS::EC2::SecurityGroup'))) {
      expect(sg.Properties?.SecurityGroupIngress).toBeUndefined();
    }
  });

  it('gives the builder role no S3, DynamoDB, KMS or secrets access and no managed policies', () => {
    const roleId = logicalId(s.stack.builders.role);
    const actions = actionsOfRole(s.template, roleId);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => /^(s3|dynamodb|kms|secretsmanager|ssm|sqs):/i.test(a) || a === '*')).toEqual([]);
    expect(s.template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('lets the dispatcher launch only from our templates and terminate only tagged instances', () => {
    const dispatcher = ourFunctions().find((f) => f.entry === LAMBDA_HANDLERS.dispatcher);
    expect(dispatcher).toBeDefined();
    const policies = Object.values(resourcesOf(s.template, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties?.Roles).includes(dispatcher?.roleId ?? '?'),
    );
    const statements = policies.flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement,
    );
    const bySid = (sid: string) => statements.find((st) => st.Sid === sid);
    expect(bySid('LaunchFromOurTemplatesOnly')?.Condition).toHaveProperty(['ArnLike', 'ec2:LaunchTemplate']);
    expect(bySid('TagOnLaunch')?.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
    expect(bySid('TerminateOurBuilders')?.Condition).toHaveProperty(['StringEquals', 'ec2:ResourceTag/copr:builder']);
    // No RunInstances or TerminateInstances without a condition or a launch-template resource.
    for (const st of statements) {
      const actions = ([] as string[]).concat(st.Action as string | string[]);
      if (actions.includes('ec2:TerminateInstances')) expect(st.Condition).toBeDefined();
      if (actions.includes('ec2:RunInstances') && st.Condition === undefined) {
        expect(JSON.stringify(st.Resource)).toContain('launch-template/');
      }
    }
  });
});

describe('Results and web', () => {
  it('blocks public access and plain HTTP on every bucket', () => {
    const buckets = resourcesOf(s.template, 'AWS::S3::Bucket');
    expect(Object.keys(buckets).length).toBeGreaterThanOrEqual(3);
    for (const b of Object.values(buckets)) {
      expect(b.Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    const policies = Object.values(resourcesOf(s.template, 'AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(Object.keys(buckets).length);
    for (const p of policies) {
      expect(JSON.stringify(p.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('reads S3 origins (and the listing function URL) through origin access control only', () => {
    const distributions = Object.values(resourcesOf(s.template, 'AWS::CloudFront::Distribution'));
    expect(distributions).toHaveLength(2);
    // Two buckets and the results listing function.
    s.template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 3);
    s.template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    s.template.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    for (const d of distributions) {
      const origins = (d.Properties?.DistributionConfig as { Origins: Array<Record<string, unknown>> }).Origins;
      for (const o of origins.filter((x) => x.S3OriginConfig !== undefined)) {
        expect(o.OriginAccessControlId).toBeDefined();
        expect(o.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
      }
    }
  });

  it('never serves repository metadata stale, and caches files of finished builds long', () => {
    const policies = resourcesOf(s.template, 'AWS::CloudFront::CachePolicy');
    const ttlOf = (pattern: string): { DefaultTTL: number; MaxTTL: number } => {
      const dist = Object.values(resourcesOf(s.template, 'AWS::CloudFront::Distribution')).find((d) =>
        JSON.stringify(d).includes('Copr results'),
      );
      const config = dist?.Properties?.DistributionConfig as {
        CacheBehaviors: Array<{ PathPattern: string; CachePolicyId: { Ref: string } }>;
        DefaultCacheBehavior: { CachePolicyId: { Ref: string } };
      };
      const ref =
        pattern === 'default'
          ? config.DefaultCacheBehavior.CachePolicyId.Ref
          : config.CacheBehaviors.find((b) => b.PathPattern === pattern)?.CachePolicyId.Ref;
      const policy = policies[ref ?? '?']?.Properties?.CachePolicyConfig as { DefaultTTL: number; MaxTTL: number };
      expect(policy).toBeDefined();
      return policy;
    };
    expect(ttlOf('*/repodata/*')).toMatchObject({ DefaultTTL: 0 });
    expect(ttlOf('*/repodata/*').MaxTTL).toBeLessThanOrEqual(10);
    expect(ttlOf('*/').MaxTTL).toBeLessThanOrEqual(60);
    expect(ttlOf('default').DefaultTTL).toBeGreaterThanOrEqual(86_400);
  });

  it('serves the API paths through the web distribution without caching', () => {
    const web = Object.values(resourcesOf(s.template, 'AWS::CloudFront::Distribution')).find((d) =>
      JSON.stringify(d).includes('Copr dashboard'),
    );
    type Behavior = { PathPattern: string; AllowedMethods: string[] };
    const behaviors = (web?.Properties?.DistributionConfig as { CacheBehaviors: Behavior[] }).CacheBehaviors;
    expect(behaviors.map((b) => b.PathPattern).sort()).toEqual([
      '/api_3*',
      '/api_3/build/create/rpm-upload',
      '/api_3/build/create/upload',
      '/backend/*',
      '/coprs',
      '/coprs/*',
      '/rss',
      '/webhooks/*',
    ]);
    for (const b of behaviors) expect(b.AllowedMethods).toContain('POST');
  });
});

describe('Functions', () => {
  it('wires exactly the expected functions', () => {
    expect(ourFunctions().map((f) => f.entry).sort()).toEqual(Object.values(LAMBDA_HANDLERS).sort());
  });

  it('gives every function exactly the variables it needs, all known to config.ts or the AWS wiring', () => {
    expect(CONFIG_KEYS).toContain('TABLE_NAME');
    for (const fn of ourFunctions()) {
      expect(Object.keys(fn.env).sort(), fn.entry).toEqual([...(EXPECTED_ENV[fn.entry] ?? ['?'])].sort());
      for (const key of Object.keys(fn.env)) expect([...CONFIG_KEYS, ...EXTRA_KEYS], key).toContain(key);
    }
  });

  it('grants data, bucket and queue access only to functions that have the variable for it', () => {
    for (const fn of ourFunctions()) {
      const actions = actionsOfRole(s.template, fn.roleId);
      const has = (re: RegExp) => actions.some((a) => re.test(a));
      expect(has(/^dynamodb:/), `${fn.entry} dynamodb`).toBe('TABLE_NAME' in fn.env);
      // The dispatcher and the reaper are composed with the results store (bucket named) but never call S3.
      const bucketNamedOnly = fn.entry === LAMBDA_HANDLERS.dispatcher || fn.entry === LAMBDA_HANDLERS.reaper;
      expect(has(/^s3:/), `${fn.entry} s3`).toBe('RESULTS_BUCKET' in fn.env && !bucketNamedOnly);
      expect(has(/^sqs:SendMessage/), `${fn.entry} sqs`).toBe(Object.keys(fn.env).some((k) => k.endsWith('_QUEUE_URL')));
      expect(has(/^ecs:RunTask/), `${fn.entry} ecs`).toBe('PUBLISHER_TASK_DEFINITION_ARN' in fn.env);
      expect(has(/^ec2:RunInstances/), `${fn.entry} ec2`).toBe('BUILDER_LAUNCH_TEMPLATES' in fn.env);
      expect(has(/^ec2:TerminateInstances$/), `${fn.entry} terminate`).toBe('BUILDER_TAG_VALUE' in fn.env);
      expect(has(/^events:PutEvents$/), `${fn.entry} events`).toBe('EVENT_BUS_NAME' in fn.env);
      expect(has(/^kms:/), `${fn.entry} kms`).toBe(false);
    }
  });

  it('lets each function send to exactly the queues it has a URL for', () => {
    for (const fn of ourFunctions()) {
      const urls = Object.entries(fn.env)
        .filter(([k]) => k.endsWith('_QUEUE_URL'))
        .map(([, v]) => (v as { Ref: string }).Ref);
      const sendTo = grantsOf(fn.roleId, /^sqs:SendMessage$/).map(
        (st) => (st.Resource as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
      );
      expect(sendTo.sort(), fn.entry).toEqual(urls.sort());
    }
    const api = fnOf(LAMBDA_HANDLERS.api);
    const queueIds = [s.stack.queues.dispatch, s.stack.queues.publish, s.stack.queues.actions].map((q) => logicalId(q.queue));
    expect(Object.values(api.env).filter((v) => queueIds.includes((v as { Ref?: string }).Ref ?? ''))).toHaveLength(3);
  });

  it('gives actions and maintenance delete rights on the results bucket, the reaper none, the listing read only', () => {
    for (const entry of [LAMBDA_HANDLERS.actions, LAMBDA_HANDLERS.maintenance]) {
      expect(actionsOfRole(s.template, fnOf(entry).roleId), entry).toEqual(
        expect.arrayContaining(['s3:DeleteObject*', 's3:PutObject', 's3:GetObject*', 's3:List*']),
      );
    }
    expect(actionsOfRole(s.template, fnOf(LAMBDA_HANDLERS.reaper).roleId).filter((a) => a.startsWith('s3:'))).toEqual([]);
    const listing = actionsOfRole(s.template, fnOf(LAMBDA_HANDLERS.resultsListing).roleId).filter((a) => a.startsWith('s3:'));
    expect(listing.sort()).toEqual(['s3:GetBucket*', 's3:GetObject*', 's3:List*']);
  });

  it('lets the reaper and maintenance list builders and terminate only tagged ones, never launch', () => {
    for (const entry of [LAMBDA_HANDLERS.reaper, LAMBDA_HANDLERS.maintenance]) {
      const fn = fnOf(entry);
      const terminate = grantsOf(fn.roleId, /^ec2:TerminateInstances$/);
      expect(terminate, entry).toHaveLength(1);
      expect(terminate[0]?.Condition, entry).toEqual({
        StringEquals: { 'ec2:ResourceTag/copr:builder': s.stack.builders.tagValue },
      });
      expect(grantsOf(fn.roleId, /^ec2:DescribeInstances$/), entry).toHaveLength(1);
      expect(grantsOf(fn.roleId, /^ec2:(RunInstances|CreateTags)$|^iam:PassRole$/), entry).toEqual([]);
      expect(fn.env.BUILDER_TAG_VALUE, entry).toBe(s.stack.builders.tagValue);
    }
  });

  it('runs on arm64 with an explicit log group', () => {
    for (const fn of Object.values(resourcesOf(s.template, 'AWS::Lambda::Function')).filter(
      (f) => f.Metadata?.[ENTRY_METADATA_KEY] !== undefined,
    )) {
      expect(fn.Properties?.Architectures).toEqual(['arm64']);
      expect(fn.Properties?.Runtime).toBe('nodejs22.x');
      expect(fn.Properties?.LoggingConfig).toHaveProperty('LogGroup');
    }
  });

  it('runs the reaper every minute', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: arnOf(s.stack.workers.reaper.fn) })],
    });
  });

  it('runs each maintenance job from its own rule with {"job": name}', () => {
    const maintenanceArn = JSON.stringify(arnOf(s.stack.workers.maintenance.fn));
    type Target = { Arn: unknown; Input?: string; RetryPolicy?: { MaximumRetryAttempts: number } };
    const rules = Object.values(resourcesOf(s.template, 'AWS::Events::Rule'))
      .map((r) => ({ schedule: r.Properties?.ScheduleExpression, targets: r.Properties?.Targets as Target[] }))
      .filter((r) => r.targets.some((t) => JSON.stringify(t.Arn) === maintenanceArn));
    const byInput = Object.fromEntries(
      rules.map((r) => {
        expect(r.targets).toHaveLength(1);
        return [r.targets[0]?.Input ?? 'no input', r.schedule];
      }),
    );
    expect(byInput).toEqual({
      '{"job":"reconcile"}': 'rate(5 minutes)',
      '{"job":"delete-expired"}': 'cron(0 3 * * ? *)',
      '{"job":"prune"}': 'cron(20 3 * * ? *)',
      '{"job":"eol-chroots"}': 'cron(40 3 * * ? *)',
    });
    // Every job the code knows has a rule (and nothing else does).
    expect(rules).toHaveLength(JOBS.length);
    for (const job of JOBS) expect(Object.keys(byInput)).toContain(JSON.stringify({ job }));
    // EventBridge may invoke the function for each rule.
    const permissions = Object.values(resourcesOf(s.template, 'AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties?.FunctionName) === maintenanceArn && p.Properties?.Principal === 'events.amazonaws.com',
    );
    expect(permissions).toHaveLength(JOBS.length);
  });
});

describe('Event bus', () => {
  const EMITTERS = [LAMBDA_HANDLERS.api, LAMBDA_HANDLERS.reaper, LAMBDA_HANDLERS.maintenance];

  it('creates the custom bus copr-<stage> and outputs its name and ARN', () => {
    s.template.resourceCountIs('AWS::Events::EventBus', 1);
    s.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'copr-dev' });
    const busId = logicalId(s.stack.eventBus.bus);
    s.template.hasOutput('EventBusName', { Value: { Ref: busId } });
    s.template.hasOutput('EventBusArn', { Value: { 'Fn::GetAtt': [busId, 'Arn'] } });
  });

  it('lets the API, reaper and maintenance put events on that bus only, and nobody else', () => {
    const busId = logicalId(s.stack.eventBus.bus);
    for (const fn of ourFunctions()) {
      const puts = grantsOf(fn.roleId, /^events:/);
      if (!EMITTERS.includes(fn.entry as (typeof EMITTERS)[number])) {
        expect(puts, fn.entry).toEqual([]);
        expect(fn.env.EVENT_BUS_NAME, fn.entry).toBeUndefined();
        continue;
      }
      expect(fn.env.EVENT_BUS_NAME, fn.entry).toEqual({ Ref: busId });
      expect(puts, fn.entry).toHaveLength(1);
      expect(actionsOf(puts[0]!), fn.entry).toEqual(['events:PutEvents']);
      expect(puts[0]?.Resource, fn.entry).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    }
    // No role anywhere in the stack may put events on every bus.
    for (const policy of Object.values(resourcesOf(s.template, 'AWS::IAM::Policy'))) {
      for (const st of (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement) {
        if (actionsOf(st).includes('events:PutEvents')) expect(st.Resource).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
      }
    }
  });
});

describe('Publisher and keys', () => {
  it('runs a Fargate task whose role may decrypt with the rotating signing key', () => {
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    s.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      ContainerDefinitions: [
        Match.objectLike({
          Name: 'publisher',
          Environment: Match.arrayWith([Match.objectLike({ Name: 'SIGNING_KMS_KEY_ID' })]),
        }),
      ],
    });
    const taskRoleId = logicalId(s.stack.publisher.taskDefinition.taskRole);
    expect(actionsOfRole(s.template, taskRoleId)).toEqual(expect.arrayContaining(['kms:Decrypt', 's3:PutObject']));
  });

  it('gives the publisher exactly its environment', () => {
    const task = Object.values(resourcesOf(s.template, 'AWS::ECS::TaskDefinition'))[0];
    const container = (task?.Properties?.ContainerDefinitions as Array<{ Environment: Array<{ Name: string }> }>)[0];
    expect(container?.Environment.map((e) => e.Name).sort()).toEqual(
      ['RESULTS_BASE_URL', 'RESULTS_BUCKET', 'SIGNING_KMS_KEY_ID', 'TABLE_NAME'].sort(),
    );
  });

  it('lets the publisher read and move its ledger entries and keys (item writes and queries, no scan, no index), use the bucket with delete, and seal/open keys only with a project context', () => {
    const taskRoleId = logicalId(s.stack.publisher.taskDefinition.taskRole);
    const table = grantsOf(taskRoleId, /^dynamodb:/);
    expect(table.flatMap(actionsOf).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    for (const st of table) expect(st.Resource).toEqual(arnOf(s.stack.data.table));
    expect(actionsOfRole(s.template, taskRoleId)).toEqual(expect.arrayContaining(['s3:DeleteObject*', 's3:List*']));

    const kms = grantsOf(taskRoleId, /^kms:/);
    expect(kms).toHaveLength(1);
    expect(actionsOf(kms[0]!).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kms[0]?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/SigningKey/), 'Arn'] });
    // The context keys are those functions/publish/kms-key-store.ts sends, every one required.
    const contextKeys = Object.keys(KmsKeyStore.context('o', 'p')).sort();
    expect(kms[0]?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': contextKeys },
      Null: Object.fromEntries(contextKeys.map((k) => [`kms:EncryptionContext:${k}`, 'false'])),
    });
  });
});

describe('cdk-nag', () => {
  it('has no unacknowledged AwsSolutions findings', () => {
    expect(s.nagFindings()).toEqual([]);
  });
});

describe('Determinism', () => {
  it('synthesizes the same template twice', () => {
    // The publisher image tag hashes functions/; other work may edit it between two synths.
    const first = JSON.stringify(s.template.toJSON());
    const second = JSON.stringify(synthStack({ stage: 'dev' }).template.toJSON());
    const after = sourceHash(repoPath('.'));
    const before = sourcesBefore;
    const imageTag = /container-assets-[^"]*?:[0-9a-f]{64}/g;
    if (before === after) expect(second).toBe(first);
    else expect(second.replace(imageTag, 'TAG')).toBe(first.replace(imageTag, 'TAG'));
  });
});
