import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTRY_METADATA_KEY } from '../../lib/handlers.js';
import { parseSettings } from '../../lib/settings.js';
import { resourcesOf, type Synthesized, synthStack } from './synth.js';

const ctx = (values: Record<string, unknown>) => (key: string) => values[key];
const DISTGIT = { name: 'mine', priority: 10, clone_url: 'https://git.example.org', package_uri: 'rpms/{pkgname}' };
const LOOKASIDE = {
  name: 'mine',
  clone_hostnames: ['git.example.org'],
  lookaside_location: 'https://git.example.org',
  lookaside_uri_pattern: 'repo/pkgs/{name}/{filename}/{hashtype}/{hash}/{filename}',
};
const envOf = (s: Synthesized, entry: string) =>
  (
    Object.values(resourcesOf(s.template, 'AWS::Lambda::Function')).find((f) => f.Metadata?.[ENTRY_METADATA_KEY] === entry)?.Properties
      ?.Environment as { Variables: Record<string, unknown> }
  ).Variables;

describe('parseSettings', () => {
  it('defaults to a cheap dev stage', () => {
    expect(parseSettings(ctx({}))).toMatchObject({ stage: 'dev', spot: false, maxBuilders: 10, logRetentionDays: 30 });
  });

  it('coerces the strings that `cdk -c key=value` passes', () => {
    const s = parseSettings(
      ctx({
        stage: 'prod',
        spot: 'true',
        maxBuilders: '40',
        vpcId: 'vpc-0abc1234',
        subnetIds: 'subnet-0aaa1111, subnet-0bbb2222',
        builderAmiIds: '{"x86_64":"ami-0123456789abcdef0","aarch64":"ami-0fedcba9876543210"}',
      }),
    );
    expect(s).toMatchObject({ stage: 'prod', spot: true, maxBuilders: 40, subnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'] });
    expect(s.builderAmiIds?.aarch64).toBe('ami-0fedcba9876543210');
  });

  it('rejects bad values, naming every bad key', () => {
    expect(() => parseSettings(ctx({ stage: 'qa', maxBuilders: '-1' }))).toThrow(/stage[\s\S]*maxBuilders/);
    expect(() => parseSettings(ctx({ vpcId: 'vpc-1' }))).toThrow(/vpcId and subnetIds go together/);
    expect(() => parseSettings(ctx({ oidcIssuer: 'https://id.example.org' }))).toThrow(/oidcAudience/);
    expect(() => parseSettings(ctx({ builderAmiIds: '{not json' }))).toThrow(/Invalid CDK context/);
    expect(() => parseSettings(ctx({ distgitInstances: '[{"name": "x"}]' }))).toThrow(/distgitInstances/);
    expect(() => parseSettings(ctx({ distgitLookaside: JSON.stringify([{ ...LOOKASIDE, lookaside_uri_pattern: '{nope}' }]) }))).toThrow(
      /distgitLookaside/,
    );
  });

  it('refuses a log retention CloudWatch does not offer', () => {
    expect(() => synthStack({ logRetentionDays: 31 })).toThrow(/logRetentionDays must be one of/);
  });
});

describe('prod with an external issuer, an existing VPC, fixed AMIs, spot and domains', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack(
      {
        stage: 'prod',
        oidcIssuer: 'https://id.example.org/realms/copr',
        oidcAudience: 'copr',
        oidcJwksUri: 'https://id.example.org/realms/copr/certs',
        vpcId: 'vpc-0abc1234',
        subnetIds: 'subnet-0aaa1111,subnet-0bbb2222',
        spot: 'true',
        builderAmiIds: { x86_64: 'ami-0123456789abcdef0', aarch64: 'ami-0fedcba9876543210' },
        webDomain: { name: 'copr.example.org', certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/w' },
        resultsDomain: { name: 'download.example.org', certificateArn: 'arn:aws:acm:us-east-1:111111111111:certificate/r' },
        // As `-c key=value` passes them: JSON text.
        distgitInstances: JSON.stringify([DISTGIT]),
        distgitLookaside: JSON.stringify([LOOKASIDE]),
      },
    );
  });

  it('fails the synth, naming the fix, when the dashboard is not built', () => {
    expect(() => synthStack({}, { webDistDir: path.join(os.tmpdir(), 'copr-no-such-web-dist') })).toThrow(
      /dashboard is not built: .*index\.html is missing\. Run `npm run build:web`/,
    );
  });

  it('keeps data: retained, deletion-protected table, versioned results', () => {
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: { DeletionProtectionEnabled: true },
    });
    s.template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    s.template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
  });

  it('trusts the external issuer and creates no user pool', () => {
    s.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    const api = Object.values(resourcesOf(s.template, 'AWS::Lambda::Function')).find(
      (f) => f.Metadata?.[ENTRY_METADATA_KEY] === 'functions/handlers/api.ts',
    );
    expect((api?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      OIDC_ISSUER: 'https://id.example.org/realms/copr',
      OIDC_AUDIENCE: 'copr',
      OIDC_JWKS_URI: 'https://id.example.org/realms/copr/certs',
      OIDC_USERNAME_CLAIM: 'preferred_username',
      FRONTEND_URL: 'https://copr.example.org',
      RESULTS_BASE_URL: 'https://download.example.org',
    });
  });

  it('offers its own DistGit instance to the API and its lookaside cache to the builders', () => {
    expect(JSON.parse(String(envOf(s, 'functions/handlers/api.ts').DISTGIT_INSTANCES))).toEqual([expect.objectContaining(DISTGIT)]);
    const lookaside: unknown = JSON.parse(String(envOf(s, 'functions/handlers/dispatcher.ts').BUILDER_DISTGIT_LOOKASIDE));
    expect(lookaside).toEqual([expect.objectContaining(LOOKASIDE)]);
  });

  it('uses the given VPC and subnets without creating a network', () => {
    s.template.resourceCountIs('AWS::EC2::VPC', 0);
    s.template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0abc1234' });
    const dispatcher = Object.values(resourcesOf(s.template, 'AWS::Lambda::Function')).find(
      (f) => f.Metadata?.[ENTRY_METADATA_KEY] === 'functions/handlers/dispatcher.ts',
    );
    expect((dispatcher?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      BUILDER_SUBNETS: 'subnet-0aaa1111,subnet-0bbb2222',
    });
  });

  it('launches spot builders from the fixed AMIs', () => {
    const data = Object.values(resourcesOf(s.template, 'AWS::EC2::LaunchTemplate')).map(
      (lt) => lt.Properties?.LaunchTemplateData as Record<string, unknown>,
    );
    expect(data.map((d) => d.ImageId).sort()).toEqual(['ami-0123456789abcdef0', 'ami-0fedcba9876543210']);
    for (const d of data) expect(d.InstanceMarketOptions).toMatchObject({ MarketType: 'spot' });
  });

  it('serves both distributions on their domains with TLS 1.2+', () => {
    for (const name of ['copr.example.org', 'download.example.org']) {
      s.template.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: { Aliases: [name], ViewerCertificate: { MinimumProtocolVersion: 'TLSv1.2_2021' } },
      });
    }
  });

  it('has no unacknowledged cdk-nag findings', () => {
    expect(s.nagFindings()).toEqual([]);
  });
});

describe('with a built dashboard', () => {
  let dist: string;
  let s: Synthesized;
  beforeAll(() => {
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'copr-web-dist-'));
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Copr</title>');
    s = synthStack({}, { webDistDir: dist });
  });
  afterAll(() => fs.rmSync(dist, { recursive: true, force: true }));

  it('uploads it with its config.json and invalidates the distribution', () => {
    const deployments = Object.values(resourcesOf(s.template, 'Custom::CDKBucketDeployment'));
    expect(deployments).toHaveLength(1);
    expect(deployments[0]?.Properties?.DistributionPaths).toEqual(['/*']);
    // The built files plus the generated config.json.
    expect(deployments[0]?.Properties?.SourceObjectKeys).toHaveLength(2);
  });

  it('has no unacknowledged cdk-nag findings, including the CDK-owned upload handler', () => {
    expect(s.nagFindings()).toEqual([]);
  });
});
