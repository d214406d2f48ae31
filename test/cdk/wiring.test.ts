import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Stack } from 'aws-cdk-lib';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../functions/api/auth.js';
import type { ApiRequest } from '../../functions/api/request.js';
import { INLINE_UPLOAD_LIMIT_BYTES, UPLOADS_PREFIX } from '../../functions/api/uploads.js';
import { systemClock } from '../../functions/core/ports.js';
import { dashboardPagePatterns } from '../../functions/api/html/dashboard-pages.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoStore } from '../../functions/store/dynamo-store.js';
import { ensureTable } from '../../functions/store/table-admin.js';
import { AGENT_BUNDLE_PARAMETER, declaredParameters } from '../../lib/constructs/builder-image.js';
import { ssmParameterArn } from '../../lib/constructs/builders.js';
import { ENTRY_METADATA_KEY, LAMBDA_HANDLERS, repoPath } from '../../lib/handlers.js';
import { builderAmiParameterName } from '../../lib/settings.js';
import { ensureWebDist } from '../../lib/web-dist.js';
import { DASHBOARD_CONFIG_KEYS, LOGIN_CALLBACK_PATH, parseDashboardConfig } from '../../web/src/dashboard-config.js';
import { fixtureAgentBundle, resourcesOf, statementsOfRole, type Synthesized, synthStack } from './synth.js';

/**
 * The wiring between the stack and the code it deploys (issue 12): each block
 * names the defect it guards against. Template assertions, plus contract checks
 * that run the real code on both ends of a wire (the dashboard's config parser,
 * the API's JWT verifier, the CloudFront functions, the agent bundle).
 */

let s: Synthesized;
beforeAll(() => {
  s = synthStack({ stage: 'dev' });
});

const resolve = (v: unknown): unknown => Stack.of(s.stack).resolve(v);
const logicalIdOf = (c: { node: { defaultChild?: unknown } }): string =>
  Stack.of(s.stack).getLogicalId(c.node.defaultChild as import('aws-cdk-lib').CfnResource);

interface FnInfo {
  env: Record<string, unknown>;
  roleId: string;
}
function fnOf(entry: string): FnInfo {
  const fn = Object.values(resourcesOf(s.template, 'AWS::Lambda::Function')).find((f) => f.Metadata?.[ENTRY_METADATA_KEY] === entry);
  if (fn === undefined) throw new Error(`no function for ${entry}`);
  const props = fn.Properties ?? {};
  return {
    env: (props.Environment as { Variables: Record<string, unknown> }).Variables,
    roleId: (props.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
  };
}

interface Behavior {
  PathPattern?: string;
  TargetOriginId: string;
  CachePolicyId: unknown;
  ResponseHeadersPolicyId?: unknown;
  FunctionAssociations?: Array<{ EventType: string; FunctionARN: { 'Fn::GetAtt': [string, string] } }>;
}
interface DistributionConfig {
  DefaultCacheBehavior: Behavior;
  CacheBehaviors: Behavior[];
  Origins: Array<{ Id: string; DomainName: unknown; OriginAccessControlId?: unknown }>;
  OriginGroups?: {
    Items: Array<{ Id: string; FailoverCriteria: { StatusCodes: { Items: number[] } }; Members: { Items: Array<{ OriginId: string }> } }>;
  };
}
function distribution(comment: string): DistributionConfig {
  const d = Object.values(resourcesOf(s.template, 'AWS::CloudFront::Distribution')).find(
    (x) => (x.Properties?.DistributionConfig as { Comment?: string }).Comment === comment,
  );
  if (d === undefined) throw new Error(`no distribution ${comment}`);
  return d.Properties?.DistributionConfig as DistributionConfig;
}

/** CloudFront's path pattern matching: `*` any run of characters, `?` one, case-sensitive. */
function matches(pattern: string, urlPath: string): boolean {
  const p = pattern.startsWith('/') || pattern.startsWith('*') ? pattern : `/${pattern}`;
  const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(urlPath);
}
/** The behaviour CloudFront picks: the first pattern that matches, else the default. */
const behaviorFor = (d: DistributionConfig, urlPath: string): Behavior =>
  d.CacheBehaviors.find((b) => b.PathPattern !== undefined && matches(b.PathPattern, urlPath)) ?? d.DefaultCacheBehavior;

type CfHandler = (event: unknown) => Record<string, unknown>;
/** The code of a behaviour's viewer-request CloudFront function, loaded as a JS function. */
function viewerFunction(b: Behavior): CfHandler {
  const assoc = b.FunctionAssociations?.find((f) => f.EventType === 'viewer-request');
  if (assoc === undefined) throw new Error(`no viewer-request function on ${b.PathPattern ?? 'default'}`);
  const fn = resourcesOf(s.template, 'AWS::CloudFront::Function')[assoc.FunctionARN['Fn::GetAtt'][0]];
  const code = fn?.Properties?.FunctionCode;
  if (typeof code !== 'string') throw new Error('function code is not a plain string');
  return new Function(`${code}\nreturn handler;`)() as CfHandler;
}
const viewerEvent = (uri: string, headers: Record<string, string> = {}) => ({
  request: {
    method: 'POST',
    uri,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { value: v }])),
  },
});

describe('builders get the agent (component parameter, asset, read access, Node package)', () => {
  const recipes = () => Object.values(resourcesOf(s.template, 'AWS::ImageBuilder::ImageRecipe'));

  it('passes every parameter without default of every component in every recipe', () => {
    const components = resourcesOf(s.template, 'AWS::ImageBuilder::Component');
    expect(recipes()).toHaveLength(2);
    for (const recipe of recipes()) {
      const list = recipe.Properties?.Components as Array<{
        ComponentArn: { 'Fn::GetAtt': [string, string] };
        Parameters?: Array<{ Name: string; Value: unknown[] }>;
      }>;
      for (const c of list) {
        const doc = String(components[c.ComponentArn['Fn::GetAtt'][0]]?.Properties?.Data);
        const required = declaredParameters(doc).filter((p) => !p.hasDefault).map((p) => p.name);
        expect(required).toContain(AGENT_BUNDLE_PARAMETER);
        expect((c.Parameters ?? []).map((p) => p.Name).sort()).toEqual(expect.arrayContaining(required));
      }
    }
  });

  it('passes the S3 URI of the agent bundle asset', () => {
    for (const recipe of recipes()) {
      const list = recipe.Properties?.Components as Array<{ Parameters?: Array<{ Name: string; Value: unknown[] }> }>;
      const value = JSON.stringify(list.flatMap((c) => c.Parameters ?? []).find((p) => p.Name === AGENT_BUNDLE_PARAMETER)?.Value);
      expect(value).toMatch(/s3:\/\/cdk-[a-z0-9]+-assets-.*\/[0-9a-f]{64}\.mjs/);
    }
  });

  it('lets the image build instance read the asset', () => {
    const roleId = logicalIdOf(s.stack.node.findChild('BuilderImage').node.findChild('InstanceRole'));
    const reads = statementsOfRole(s.template, roleId).filter((st) => ([] as string[]).concat(st.Action).includes('s3:GetObject*'));
    expect(JSON.stringify(reads)).toMatch(/cdk-[a-z0-9]+-assets-/);
  });

  it('fails the synth when a component needs a parameter the stack does not supply', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copr-recipe-'));
    fs.writeFileSync(
      path.join(dir, 'x.yaml'),
      'name: x\nschemaVersion: 1.0\nparameters:\n  - Mystery:\n      type: string\nphases: []\n',
    );
    expect(() => synthStack({}, { builderRecipeDir: dir })).toThrow(/needs parameter Mystery/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads parameters with and without defaults', () => {
    const doc = 'parameters:\n  - A:\n      type: string\n  - B:\n      type: string\n      default: x\nphases:\n  - name: build\n';
    expect(declaredParameters(doc)).toEqual([
      { name: 'A', hasDefault: false },
      { name: 'B', hasDefault: true },
    ]);
  });

  it('bundles an agent that runs on plain Node without the repository', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copr-agent-run-'));
    const copy = path.join(dir, 'agent.mjs');
    fs.copyFileSync(fixtureAgentBundle(), copy);
    // No task given: the agent must start (all imports resolved) and refuse with its own message.
    const run = spawnSync(process.execPath, [copy], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^copr-builder-agent: /m);
    expect(run.stderr).not.toMatch(/Cannot find (module|package)/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("installs Fedora's nodejs package, not a versioned stream", () => {
    const recipe = fs.readFileSync(repoPath('builder-ami/recipe/builder-component.yaml'), 'utf8');
    const install = recipe.split('\n').find((l) => l.includes('dnf -y') && l.includes(' install '));
    expect(install).toMatch(/ nodejs( |$)/);
    expect(recipe).not.toMatch(/nodejs\d+/);
  });
});

describe('builders can launch (resolve:ssm: needs ssm:GetParameters for the caller)', () => {
  it('lets the dispatcher read exactly the AMI parameters its launch templates resolve', () => {
    const lts = Object.values(resourcesOf(s.template, 'AWS::EC2::LaunchTemplate'));
    const resolved = lts.map((lt) => String((lt.Properties?.LaunchTemplateData as { ImageId: string }).ImageId));
    for (const id of resolved) expect(id).toMatch(/^resolve:ssm:\//);
    const names = resolved.map((id) => id.slice('resolve:ssm:'.length)).sort();
    expect(names).toEqual([builderAmiParameterName('dev', 'aarch64'), builderAmiParameterName('dev', 'x86_64')]);

    const grants = statementsOfRole(s.template, fnOf(LAMBDA_HANDLERS.dispatcher).roleId).filter((st) =>
      ([] as string[]).concat(st.Action).includes('ssm:GetParameters'),
    );
    expect(grants).toHaveLength(1);
    const expected = names.map((n) => resolve(ssmParameterArn(Stack.of(s.stack), n)));
    expect(grants[0]?.Resource).toHaveLength(expected.length);
    expect(grants[0]?.Resource).toEqual(expect.arrayContaining(expected));
  });
});

describe('a fresh stack seeds chroots and has a way to the first admin', () => {
  it('seeds the default chroots through the bootstrap function on deploy', () => {
    const seeds = Object.values(resourcesOf(s.template, 'Custom::CoprSeedChroots'));
    expect(seeds).toHaveLength(1);
    const bootstrap = s.stack.bootstrap.function.fn;
    expect(seeds[0]?.Properties?.ServiceToken).toEqual(resolve(bootstrap.functionArn));
    const env = fnOf(LAMBDA_HANDLERS.bootstrap).env;
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['TABLE_NAME', 'FRONTEND_URL']));
    const actions = statementsOfRole(s.template, fnOf(LAMBDA_HANDLERS.bootstrap).roleId).flatMap((st) => ([] as string[]).concat(st.Action));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query']));
  });

  it('outputs the function to invoke for the first admin', () => {
    const outputs = s.template.findOutputs('BootstrapFunctionName');
    expect(Object.values(outputs)[0]?.Value).toEqual(resolve(s.stack.bootstrap.function.fn.functionName));
  });
});

describe('sign-in: one /config.json schema, the callback URL, the token the API accepts', () => {
  it('deploys a /config.json the dashboard parses, with only keys it reads', () => {
    const config = s.stack.web.dashboardConfig;
    expect(config).toBeDefined();
    expect(parseDashboardConfig(config)).toMatchObject({ ok: true });
    const known: readonly string[] = DASHBOARD_CONFIG_KEYS;
    for (const key of Object.keys(config ?? {})) expect(known).toContain(key);
    // The deployment really uploads it as config.json.
    const deployments = Object.values(resourcesOf(s.template, 'Custom::CDKBucketDeployment'));
    expect(deployments).toHaveLength(1);
    expect(deployments[0]?.Properties?.SourceObjectKeys).toHaveLength(2);
  });

  it('rejects the key names the stack used to write', () => {
    const old = { apiBaseUrl: 'https://x', oidcIssuer: 'https://i', oidcClientId: 'c' };
    expect(parseDashboardConfig(old)).toMatchObject({ ok: false });
  });

  it("registers the dashboard's callback URL with the Cognito client", () => {
    const config = s.stack.web.dashboardConfig;
    const client = Object.values(resourcesOf(s.template, 'AWS::Cognito::UserPoolClient'))[0];
    const callbacks = client?.Properties?.CallbackURLs as unknown[];
    expect(callbacks).toContainEqual(resolve(config?.redirectUri));
    expect(JSON.stringify(resolve(config?.redirectUri))).toContain(LOGIN_CALLBACK_PATH);
    // The scopes the dashboard asks for are all allowed.
    const allowed = client?.Properties?.AllowedOAuthScopes as string[];
    for (const scope of (config?.scope ?? '').split(' ')) expect(allowed).toContain(scope);
    // The endpoints are the hosted UI's: discovery is not fetched from the browser.
    expect(JSON.stringify(resolve(config?.tokenEndpoint))).toContain('/oauth2/token');
  });

  it('points the dashboard at the client id and issuer the API verifies', () => {
    const config = s.stack.web.dashboardConfig;
    const api = fnOf(LAMBDA_HANDLERS.api).env;
    expect(resolve(config?.clientId)).toEqual(api.OIDC_AUDIENCE);
    expect(resolve(config?.issuer)).toEqual(api.OIDC_ISSUER);
    expect(config?.bearer).toBe('id_token');
  });

  describe('a Cognito-shaped token against the API verifier, configured as the stack configures it', () => {
    const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test';
    const clientId = 'dashboardclient123';
    let sign: (claims: Record<string, unknown>) => Promise<string>;
    let store: DynamoStore;
    let jwks: Jwks;

    beforeAll(async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      const kid = 'k1';
      const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
      sign = (claims) =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid })
          .setIssuer(issuer)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(privateKey);
      const db = documentClient(process.env.DYNAMODB_ENDPOINT);
      const table = `t-${randomUUID()}`;
      await ensureTable(db, table);
      store = new DynamoStore(db, table);
      // jose's JWK and aws-jwt-verify's Jwk describe the same JSON (as functions/local/service.ts).
      jwks = { keys: [jwk] } as unknown as Jwks;
    });

    const authenticate = (token: string) => {
      const env = fnOf(LAMBDA_HANDLERS.api).env;
      const auth = createAuthenticator({
        store,
        clock: systemClock,
        frontendUrl: 'https://copr.example',
        oidc: {
          issuer,
          audience: clientId,
          usernameClaim: String(env.OIDC_USERNAME_CLAIM),
          jwks,
        },
      });
      const req: ApiRequest = {
        method: 'GET',
        path: '/api_3/auth-check',
        query: new Map(),
        headers: { authorization: `Bearer ${token}` },
        body: Buffer.alloc(0),
        contentType: '',
        sourceIp: '127.0.0.1',
      };
      return auth.authenticate(req);
    };

    it('accepts the ID token the dashboard sends', async () => {
      const id = await sign({ aud: clientId, token_use: 'id', 'cognito:username': 'alice', sub: 'u-1' });
      expect((await authenticate(id))?.user.name).toBe('alice');
    });

    it('would refuse the access token (no aud, no cognito:username)', async () => {
      const access = await sign({ client_id: clientId, token_use: 'access', username: 'alice', sub: 'u-1', scope: 'openid' });
      await expect(authenticate(access)).rejects.toMatchObject({ kind: 'unauthorized' });
    });
  });
});

describe('SRPM upload limit at the edge and in the API', () => {
  const web = () => distribution('Copr dashboard and API');

  it('tells the API and the dashboard the same inline limit', () => {
    expect(fnOf(LAMBDA_HANDLERS.api).env.MAX_UPLOAD_BYTES).toBe(String(INLINE_UPLOAD_LIMIT_BYTES));
    expect(s.stack.web.dashboardConfig?.uploadLimitBytes).toBe(INLINE_UPLOAD_LIMIT_BYTES);
  });

  it('lets the dashboard PUT larger SRPMs into upload slots of the results bucket', () => {
    const bucket = resourcesOf(s.template, 'AWS::S3::Bucket')[logicalIdOf(s.stack.results.bucket)];
    const rules = (bucket?.Properties?.CorsConfiguration as { CorsRules: Array<{ AllowedMethods: string[]; AllowedOrigins: unknown[] }> }).CorsRules;
    expect(rules).toContainEqual(expect.objectContaining({ AllowedMethods: ['PUT'], AllowedOrigins: [resolve(s.stack.web.url)] }));
  });

  it("answers oversized inline uploads at CloudFront with Copr's 413 instead of API Gateway's", () => {
    const b = behaviorFor(web(), '/api_3/build/create/upload');
    expect(b.PathPattern).toBe('/api_3/build/create/upload');
    const handler = viewerFunction(b);
    const big = handler(viewerEvent('/api_3/build/create/upload', { 'content-length': String(INLINE_UPLOAD_LIMIT_BYTES + 1) }));
    expect(big.statusCode).toBe(413);
    const body = JSON.parse(String((big.body as { data: string }).data)) as { output: string; error: string };
    expect(body.output).toBe('notok');
    expect(body.error).toMatch(/limit of 4 MiB/);
    expect(body.error).toMatch(/web UI/);
    const small = handler(viewerEvent('/api_3/build/create/upload', { 'content-length': '1000' }));
    expect(small).toMatchObject({ uri: '/api_3/build/create/upload' });
    // Same origin as the rest of the API.
    expect(b.TargetOriginId).toBe(behaviorFor(web(), '/api_3/build/create/url').TargetOriginId);
  });

  it('answers oversized binary RPM uploads (copr-cli uploadrpm) the same way, naming that command', () => {
    const b = behaviorFor(web(), '/api_3/build/create/rpm-upload');
    expect(b.PathPattern).toBe('/api_3/build/create/rpm-upload');
    const handler = viewerFunction(b);
    const big = handler(viewerEvent('/api_3/build/create/rpm-upload', { 'content-length': String(INLINE_UPLOAD_LIMIT_BYTES + 1) }));
    expect(big.statusCode).toBe(413);
    const body = JSON.parse(String((big.body as { data: string }).data)) as { output: string; error: string };
    expect(body).toEqual({ output: 'notok', error: "The upload is larger than this server's limit of 4 MiB for built RPMs sent through the API (copr-cli uploadrpm)." });
    expect(handler(viewerEvent('/api_3/build/create/rpm-upload', { 'content-length': '1000' }))).toMatchObject({ uri: '/api_3/build/create/rpm-upload' });
    expect(b.TargetOriginId).toBe(behaviorFor(web(), '/api_3/build/create/url').TargetOriginId);
  });
});

describe('CloudFront: /coprs pages and .repo files to the API, the other dashboard pages to the bucket', () => {
  const web = () => distribution('Copr dashboard and API');
  const apiOrigin = () => behaviorFor(web(), '/api_3/projects').TargetOriginId;
  const values: Record<string, string> = { owner: 'alice', group: 'devs', project: 'hello', build_id: '42', package_name: 'pkg' };
  const pages = () => dashboardPagePatterns().map((p) => p.replace(/\{(\w+)\}/g, (_m, k: string) => values[k] ?? k));

  it('sends every /coprs page (the local server routes) to the API, which renders them into the shell', () => {
    const coprs = [...pages().filter((p) => p === '/coprs' || p.startsWith('/coprs/')), '/coprs/', '/coprs/build/42/', '/coprs/alice/repo/builds', '/coprs/alice/hello/package/repo'];
    expect(coprs.length).toBeGreaterThan(20);
    for (const page of coprs) expect(behaviorFor(web(), page).TargetOriginId, page).toBe(apiOrigin());
    // `/coprs/` reaches the HTTP API as `/coprs` (its `/coprs/{proxy+}` route needs a segment).
    const root = viewerFunction(behaviorFor(web(), '/coprs/'));
    expect(root({ request: { uri: '/coprs/' } })).toMatchObject({ uri: '/coprs' });
    expect(root({ request: { uri: '/coprs/alice/hello/' } })).toMatchObject({ uri: '/coprs/alice/hello/' });
    // The function gets the shell the bucket serves; the HTTP API routes both forms.
    const api = Object.values(resourcesOf(s.template, 'AWS::Lambda::Function')).find((fn) => fn.Metadata?.[ENTRY_METADATA_KEY] === LAMBDA_HANDLERS.api);
    const env = (api?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    expect(String(env.DASHBOARD_SHELL)).toMatch(/^<!doctype html>[^]*<title>Copr<\/title>/);
    const routes = Object.values(resourcesOf(s.template, 'AWS::ApiGatewayV2::Route')).map((r) => String(r.Properties?.RouteKey));
    expect(routes).toEqual(expect.arrayContaining(['GET /coprs', 'GET /coprs/{proxy+}']));
  });

  it('serves the other dashboard pages from the dashboard bucket', () => {
    const others = pages().filter((p) => p !== '/coprs' && !p.startsWith('/coprs/'));
    expect(others).toEqual(expect.arrayContaining(['/', '/status', '/api', '/user/info']));
    for (const page of others) expect(behaviorFor(web(), page), page).toBe(web().DefaultCacheBehavior);
    // The default behaviour rewrites page URLs to index.html.
    const spa = viewerFunction(web().DefaultCacheBehavior);
    expect(spa({ request: { uri: '/status/pending' } })).toMatchObject({ uri: '/index.html' });
  });

  it('sends .repo files of user and group projects to the API', () => {
    for (const p of [
      '/coprs/alice/hello/repo/fedora-44/alice-hello-fedora-44.repo',
      '/coprs/g/devs/hello/repo/epel-10/group_devs-hello-epel-10.repo',
      '/coprs/alice/hello/repo/fedora-44/',
    ]) {
      expect(behaviorFor(web(), p).TargetOriginId, p).toBe(apiOrigin());
    }
    for (const p of ['/api_3/build/create/url', '/backend/builder/task', '/webhooks/github/1/uuid/']) {
      expect(behaviorFor(web(), p).TargetOriginId, p).toBe(apiOrigin());
    }
  });
});

describe('results CDN: CORS, no stale signed RPMs or live logs, listings, private uploads', () => {
  const results = () => distribution('Copr results and repositories');
  const policy = (b: Behavior): { DefaultTTL: number; MaxTTL: number } | 'disabled' => {
    // The managed CachingDisabled policy.
    if (b.CachePolicyId === '4135ea2d-6df8-44a3-9df3-4b5a84be39ad') return 'disabled';
    const ref = (b.CachePolicyId as { Ref: string }).Ref;
    return resourcesOf(s.template, 'AWS::CloudFront::CachePolicy')[ref]?.Properties?.CachePolicyConfig as { DefaultTTL: number; MaxTTL: number };
  };
  const build = '/alice/hello/fedora-44-x86_64/00000042-hello';

  it('lets the dashboard origin read results from the browser, on every behaviour', () => {
    const all = [results().DefaultCacheBehavior, ...results().CacheBehaviors];
    const ids = new Set(all.map((b) => JSON.stringify(b.ResponseHeadersPolicyId)));
    expect(ids.size).toBe(1);
    const ref = (all[0]?.ResponseHeadersPolicyId as { Ref: string }).Ref;
    const cors = resourcesOf(s.template, 'AWS::CloudFront::ResponseHeadersPolicy')[ref]?.Properties?.ResponseHeadersPolicyConfig as {
      CorsConfig: { AccessControlAllowOrigins: { Items: unknown[] }; AccessControlAllowMethods: { Items: string[] } };
    };
    expect(cors.CorsConfig.AccessControlAllowOrigins.Items).toEqual([resolve(s.stack.web.url)]);
    expect(cors.CorsConfig.AccessControlAllowMethods.Items).toEqual(expect.arrayContaining(['GET', 'HEAD']));
  });

  it('never caches the live log', () => {
    expect(policy(behaviorFor(results(), `${build}/builder-live.log`))).toBe('disabled');
    expect(policy(behaviorFor(results(), `${build}/builder-live.log.gz`))).toBe('disabled');
  });

  it('serves the live log from S3, falling over to the listing function (the joined chunks) on a miss', () => {
    const live = behaviorFor(results(), `${build}/builder-live.log`);
    const group = results().OriginGroups?.Items.find((g) => g.Id === live.TargetOriginId);
    expect(group?.FailoverCriteria.StatusCodes.Items.sort()).toEqual([403, 404]);
    const [primary, fallback] = group?.Members.Items.map((m) => m.OriginId) ?? [];
    // Primary: the bucket the finished files are served from; fallback: the listing function
    // URL. Both through origin access control, as everywhere else.
    const origin = (id: string | undefined) => results().Origins.find((o) => o.Id === id);
    expect(origin(primary)?.DomainName).toEqual(origin(behaviorFor(results(), `${build}/hello-1-1.fc44.x86_64.rpm`).TargetOriginId)?.DomainName);
    expect(origin(fallback)?.DomainName).toEqual(origin(behaviorFor(results(), `${build}/`).TargetOriginId)?.DomainName);
    expect(origin(primary)?.OriginAccessControlId).toBeDefined();
    expect(origin(fallback)?.OriginAccessControlId).toBeDefined();
  });

  it("serves a finished build's logs by their plain names too: S3 first, then the listing function (the unpacked .gz)", () => {
    const live = behaviorFor(results(), `${build}/builder-live.log`);
    for (const name of ['build.log', 'root.log', 'backend.log']) {
      const b = behaviorFor(results(), `${build}/${name}`);
      expect(b.TargetOriginId, name).toBe(live.TargetOriginId);
      // Written once, like the other files of a finished build.
      expect(policy(b), name).toEqual(policy(behaviorFor(results(), `${build}/results.json`)));
    }
    // The gzipped files themselves come straight from S3.
    expect(behaviorFor(results(), `${build}/build.log.gz`)).toBe(results().DefaultCacheBehavior);
  });

  it('revalidates RPMs (re-uploaded once signed) and repodata every time', () => {
    for (const p of [`${build}/hello-1-1.fc44.x86_64.rpm`, `${build}/hello-1-1.fc44.src.rpm`, '/alice/hello/fedora-44-x86_64/repodata/repomd.xml']) {
      const ttl = policy(behaviorFor(results(), p));
      expect(ttl, p).not.toBe('disabled');
      expect(ttl, p).toMatchObject({ DefaultTTL: 0 });
      expect((ttl as { MaxTTL: number }).MaxTTL, p).toBeLessThanOrEqual(5);
    }
  });

  it('serves directory URLs from the listing function, through origin access control', () => {
    const b = behaviorFor(results(), `${build}/`);
    const origin = results().Origins.find((o) => o.Id === b.TargetOriginId);
    expect(JSON.stringify(origin?.DomainName)).toContain(logicalIdOf(s.stack.results.listing.fn.node.findChild('FunctionUrl') as never));
    expect(origin?.OriginAccessControlId).toBeDefined();
    expect(behaviorFor(results(), '/').TargetOriginId).toBe(b.TargetOriginId);
    expect(behaviorFor(results(), `${build}/hello-1-1.fc44.x86_64.rpm`).TargetOriginId).not.toBe(b.TargetOriginId);
  });

  it('never serves uploaded SRPMs, and expires them', () => {
    const deny = viewerFunction(behaviorFor(results(), `/${UPLOADS_PREFIX}0b4f/hello-1-1.src.rpm`));
    expect(deny({ request: { uri: `/${UPLOADS_PREFIX}0b4f/hello-1-1.src.rpm` } })).toMatchObject({ statusCode: 403 });
    const bucket = resourcesOf(s.template, 'AWS::S3::Bucket')[logicalIdOf(s.stack.results.bucket)];
    const rules = (bucket?.Properties?.LifecycleConfiguration as { Rules: Array<{ Prefix?: string; ExpirationInDays?: number; Status: string }> }).Rules;
    const rule = rules.find((r) => r.Prefix === UPLOADS_PREFIX);
    expect(rule).toMatchObject({ Status: 'Enabled' });
    expect(rule?.ExpirationInDays).toBeGreaterThan(0);
    expect(rule?.ExpirationInDays).toBeLessThanOrEqual(30);
  });
});

describe('the reaper can publish', () => {
  it('has the publish queue URL and may send to it', () => {
    const reaper = fnOf(LAMBDA_HANDLERS.reaper);
    const queueId = logicalIdOf(s.stack.queues.publish.queue);
    expect(reaper.env.PUBLISH_QUEUE_URL).toEqual({ Ref: queueId });
    const sends = statementsOfRole(s.template, reaper.roleId).filter((st) => ([] as string[]).concat(st.Action).includes('sqs:SendMessage'));
    expect(sends.map((st) => st.Resource)).toContainEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
  });
});

describe('the dashboard ships with every deploy', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'copr-webdist-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('builds a missing dashboard before uploading it', () => {
    const target = path.join(dir, 'built');
    ensureWebDist(target, () => {
      fs.mkdirSync(target, { recursive: true });
      fs.writeFileSync(path.join(target, 'index.html'), '<!doctype html>');
    });
    expect(fs.existsSync(path.join(target, 'index.html'))).toBe(true);
  });

  it('fails loudly when there is still no dashboard', () => {
    expect(() => ensureWebDist(path.join(dir, 'never'), () => {})).toThrow(/dashboard is not built/);
  });

  it('builds web/dist during synth when no dashboard directory is given (cdk deploy from a fresh clone)', () => {
    const fresh = synthStack({}, { webDistDir: undefined });
    expect(fs.existsSync(repoPath('web/dist/index.html'))).toBe(true);
    fresh.template.resourceCountIs('Custom::CDKBucketDeployment', 1);
  }, 240_000);
});

describe('AMIs and snapshots do not pile up', () => {
  it('deletes all but the newest builder AMIs (and their snapshots) of this stack', () => {
    const policies = Object.values(resourcesOf(s.template, 'AWS::ImageBuilder::LifecyclePolicy'));
    expect(policies).toHaveLength(1);
    const p = policies[0]?.Properties as {
      ResourceType: string;
      PolicyDetails: Array<{ Action: { Type: string; IncludeResources: Record<string, boolean> }; Filter: { Type: string; Value: number } }>;
      ResourceSelection: { TagMap: Record<string, unknown> };
    };
    expect(p.ResourceType).toBe('AMI_IMAGE');
    expect(p.PolicyDetails[0]).toMatchObject({
      Action: { Type: 'DELETE', IncludeResources: { Amis: true, Snapshots: true } },
      Filter: { Type: 'COUNT' },
    });
    // The tag it selects by is on every image the pipelines make.
    const [tagKey, tagValue] = Object.entries(p.ResourceSelection.TagMap)[0] ?? [];
    for (const pipeline of Object.values(resourcesOf(s.template, 'AWS::ImageBuilder::ImagePipeline'))) {
      expect((pipeline.Properties?.Tags as Record<string, unknown>)[String(tagKey)]).toEqual(tagValue);
    }
  });
});
