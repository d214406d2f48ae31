import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { createHash, randomBytes } from 'node:crypto';
import type { DashboardConfig } from '../../web/src/dashboard-config.js';
import { edgeTtl } from './cdn.js';
import { HostedLogin } from './hosted-login.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGION } from './cfn.js';
import { synth, up, type Rehearsal } from './stack.js';

/**
 * The fast part of the cloud rehearsal (the whole flow is `npm run rehearse`): the
 * synthesized template deployed into the emulators with every resource type
 * accounted for, and real invocations of the API and dispatcher bundles whose every
 * AWS call passes the IAM check against their own roles, including what EC2 checks
 * on the dispatcher's behalf when it launches from the launch template.
 */
let r: Rehearsal;

beforeAll(async () => {
  r = await up({ synthOutput: await synth(), compute: false });
}, 240_000);

afterAll(async () => {
  await r?.down();
}, 60_000);

describe('cloud rehearsal (deploy and IAM subset)', () => {
  it('deploys every resource of the template or says what stands in for it', () => {
    const types = new Set(Object.values(r.deployment.template.Resources).map((x) => x.Type));
    for (const type of types) expect(r.listing.some((line) => line.startsWith(`${type} x`)), type).toBe(true);
    expect(r.listing.filter((l) => l.includes('no stand-in for this type yet') && !l.startsWith('AWS::Lambda::LayerVersion'))).toEqual([]);
    expect(r.defects).toEqual([]);
  });

  it('runs the API and dispatcher bundles with every AWS call allowed by their own roles', async () => {
    const web = r.web().url;
    const bootstrap = r.lambdas.functions.find((f) => f.entry.endsWith('bootstrap.ts'));
    expect(bootstrap, 'a bootstrap function makes the first admin').toBeDefined();
    const admin = (await r.lambdas.invoke(bootstrap?.logicalId ?? '', { action: 'make-admin', username: 'admin' })) as { login: string; token: string };
    const auth = `Basic ${Buffer.from(`${admin.login}:${admin.token}`).toString('base64')}`;
    const project = await fetch(`${web}/api_3/project/add/admin`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rehearsal', chroots: ['fedora-44-x86_64'] }),
    });
    expect(project.status, await project.clone().text()).toBe(200);
    const build = await fetch(`${web}/api_3/build/create/url`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ ownername: 'admin', projectname: 'rehearsal', project_dirname: 'rehearsal', pkgs: 'https://example.org/hello-1.0-1.src.rpm' }),
    });
    expect(build.status, await build.clone().text()).toBe(200);

    // The wake-up the API sent is what SQS would hand the dispatcher.
    const dispatcher = r.lambdas.byEntry('functions/handlers/dispatcher.ts');
    await r.lambdas.invoke(dispatcher.logicalId, { Records: [{ messageId: 'm1', receiptHandle: 'r1', body: '{"reason":"api"}', attributes: {}, messageAttributes: {}, eventSource: 'aws:sqs', awsRegion: REGION }] });

    const checked = r.iam.verdicts.filter((v) => v.principal.roleLogicalId.includes('Dispatcher')).map((v) => `${v.check.action} ${v.result}`);
    expect(checked).toContain('ec2:RunInstances Allowed');
    expect(checked).toContain('ssm:GetParameters Allowed'); // resolve:ssm: in the launch template
    expect(checked).toContain('iam:PassRole Allowed'); // the launch template's instance profile
    expect(r.iam.verdicts.some((v) => v.principal.label.includes('ApiHandler') && v.check.action === 'sqs:SendMessage')).toBe(true);
    expect(r.iam.denials().map((d) => `${d.principal.label}: ${d.check.action} on ${d.check.resource}`)).toEqual([]);
  }, 120_000);

  it('answers a call outside the caller\'s role with AWS\'s AccessDenied and records the denial', async () => {
    const api = r.lambdas.byEntry('functions/handlers/api.ts');
    const creds = r.gateway.credentialsFor(api.principal);
    const ec2 = new EC2Client({ endpoint: r.gateway.url, region: REGION, maxAttempts: 1, credentials: { accessKeyId: creds.AWS_ACCESS_KEY_ID, secretAccessKey: creds.AWS_SECRET_ACCESS_KEY } });
    await expect(ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, ImageId: r.deployment.builderAmi }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    ec2.destroy();
    expect(r.iam.denials().some((d) => d.principal.roleLogicalId === api.principal.roleLogicalId && d.check.action === 'ec2:RunInstances')).toBe(true);
  });

  it('signs in through the hosted login that /config.json names, and the API takes the ID token it hands out', async () => {
    const web = r.web().url;
    const cfg = (await (await fetch(`${web}/config.json`)).json()) as DashboardConfig;
    const hosted = HostedLogin.forRehearsal(r);
    await hosted.listen();
    try {
      await hosted.addUser('carol', 'Rehearsal-Passw0rd!');
      expect(new URL(cfg.authorizationEndpoint ?? '').host).toBe(hosted.domain);
      expect(new URL(cfg.tokenEndpoint ?? '').host).toBe(hosted.domain);
      const verifier = randomBytes(32).toString('base64url');
      const request = {
        response_type: 'code',
        client_id: cfg.clientId,
        redirect_uri: cfg.redirectUri ?? '',
        scope: cfg.scope ?? 'openid profile',
        state: 'st-1',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      };
      const form = await hosted.fetch(`${cfg.authorizationEndpoint}?${new URLSearchParams(request)}`);
      expect(form.status, await form.clone().text()).toBe(200);
      // A callback URL the client does not list is refused, as the hosted UI refuses it.
      const foreign = await hosted.fetch(`${cfg.authorizationEndpoint}?${new URLSearchParams({ ...request, redirect_uri: 'https://elsewhere.example/login/callback' })}`);
      expect(foreign.status).toBe(400);
      const login = await hosted.fetch(`https://${hosted.domain}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...request, username: 'carol', password: 'Rehearsal-Passw0rd!' }).toString(),
      });
      expect(login.status, await login.clone().text()).toBe(302);
      const back = new URL(login.headers.get('location') ?? '');
      expect(back.searchParams.get('state')).toBe('st-1');
      const exchange = (v: string) =>
        hosted.fetch(cfg.tokenEndpoint ?? '', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: web },
          body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code') ?? '', redirect_uri: request.redirect_uri, client_id: cfg.clientId, code_verifier: v }).toString(),
        });
      const tokens = (await (await exchange(verifier)).json()) as Record<string, string>;
      const bearer = tokens[cfg.bearer ?? 'access_token'] ?? '';
      expect(bearer).not.toBe('');
      const who = await fetch(`${web}/api_3/auth-check`, { headers: { authorization: `Bearer ${bearer}` } });
      expect(who.status, await who.clone().text()).toBe(200);
      expect(((await who.json()) as { name?: string }).name).toBe('carol');
      // The code was single use.
      expect((await exchange(verifier)).status).toBe(400);
    } finally {
      await hosted.stop();
    }
  }, 60_000);

  it('gives each kind of file the edge TTL its freshness needs (cache policies of the template)', () => {
    const ttl = (cdn: ReturnType<Rehearsal['web']>, path: string, cacheControl: string | null = null) => edgeTtl(cdn.behaviourFor(path).ttl, cacheControl);
    const results = r.results();
    const dir = '/alice/demo/fedora-44-x86_64/00000001-hello';
    expect(ttl(results, `${dir}/builder-live.log`)).toBe(0);
    expect(ttl(results, '/alice/demo/fedora-44-x86_64/repodata/repomd.xml')).toBeLessThanOrEqual(5);
    // RPMs are re-signed in place: even an object claiming a day stays at most MaxTTL at the edge.
    expect(ttl(results, `${dir}/hello-1.0-1.noarch.rpm`, 'max-age=86400')).toBeLessThanOrEqual(5);
    expect(ttl(results, '/alice/demo/fedora-44-x86_64/')).toBeLessThanOrEqual(30);
    expect(ttl(results, `${dir}/build.log.gz`)).toBeGreaterThanOrEqual(86_400);
    expect(ttl(r.web(), '/assets/index-0123abcd.js')).toBeGreaterThanOrEqual(86_400);
    expect(ttl(r.web(), '/api_3/project/list')).toBe(0);
  });

  it('lists what keeps uploads and builder AMIs from piling up', () => {
    expect(r.listing.some((l) => /^S3 lifecycle Results\w+\/\w+: objects under "_uploads\/" expire after \d+ days/.test(l)), r.listing.join('\n')).toBe(true);
    expect(r.listing.some((l) => /^Image Builder lifecycle \w+: keeps the newest \d+ AMI_IMAGE .*\(2\/2 pipelines selected\), deleting AMIs and snapshots/.test(l)), r.listing.join('\n')).toBe(true);
  });
});

