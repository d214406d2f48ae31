import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
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
});
