import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildStore } from '../../functions/core/ports.js';
import { normaliseCloneUrl } from '../../functions/core/webhooks.js';
import type { LocalPlugin } from '../../functions/local/service.js';
import { documentClient } from '../../functions/store/dynamo-client.js';
import { DynamoBuildStore } from '../../functions/store/dynamo-build-store.js';
import { createProject, type CoprClient } from '../support/copr-client.js';
import { startTestService, type TestService } from '../support/service.js';

/**
 * Webhooks through the real local server: forge-shaped push payloads, secrets,
 * signatures; builds land in the real table (the dispatcher is not running: the
 * build system's wake-up only counts, so no builder starts).
 */
let wakes = 0;
let builds: BuildStore;

/** The dispatcher wake-up only counts (no builder starts); publishing is not part of these tests. */
const buildsOnly: LocalPlugin = {
  name: 'builds-only',
  ports: (env) => {
    builds = new DynamoBuildStore(documentClient(env.config.DYNAMODB_ENDPOINT), env.config.TABLE_NAME);
    return {
      builds,
      wake: async () => {
        wakes += 1;
      },
      publish: async () => undefined,
    };
  },
};

const REPO = 'https://github.com/alice/hello';

function githubPush(ref: string, cloneUrl = `${REPO}.git`) {
  return {
    ref,
    before: 'a'.repeat(40),
    after: 'b'.repeat(40),
    created: false,
    deleted: false,
    forced: false,
    repository: {
      id: 1,
      name: 'hello',
      full_name: 'alice/hello',
      html_url: REPO,
      clone_url: cloneUrl,
      git_url: 'git://github.com/alice/hello.git',
      ssh_url: 'git@github.com:alice/hello.git',
      default_branch: 'main',
    },
    pusher: { name: 'alice', email: 'alice@example.com' },
    head_commit: { id: 'b'.repeat(40), message: 'bump', added: [], removed: [], modified: ['hello.spec'] },
    commits: [{ id: 'b'.repeat(40), message: 'bump', added: [], removed: [], modified: ['hello.spec'] }],
  };
}

function gitlabPush(ref: string) {
  return {
    object_kind: ref.startsWith('refs/tags/') ? 'tag_push' : 'push',
    event_name: ref.startsWith('refs/tags/') ? 'tag_push' : 'push',
    before: 'a'.repeat(40),
    after: 'c'.repeat(40),
    ref,
    checkout_sha: 'c'.repeat(40),
    user_username: 'alice',
    project_id: 15,
    project: {
      id: 15,
      name: 'lib',
      web_url: 'https://gitlab.com/alice/lib',
      git_ssh_url: 'git@gitlab.com:alice/lib.git',
      git_http_url: 'https://gitlab.com/alice/lib.git',
      path_with_namespace: 'alice/lib',
      default_branch: 'main',
    },
    repository: {
      name: 'lib',
      url: 'git@gitlab.com:alice/lib.git',
      homepage: 'https://gitlab.com/alice/lib',
      git_http_url: 'https://gitlab.com/alice/lib.git',
      git_ssh_url: 'git@gitlab.com:alice/lib.git',
    },
    commits: [],
    total_commits_count: 1,
  };
}

async function post(t: TestService, path: string, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${t.service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, text };
}

const sign = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('webhooks', () => {
  let t: TestService;
  let alice: CoprClient;
  let bob: CoprClient;
  let projectId: number;
  let secret: string;

  const projectBuilds = () => builds.listProjectBuilds('alice', 'hooks');

  beforeAll(async () => {
    t = await startTestService({ plugins: [buildsOnly] });
    alice = await t.user('alice');
    bob = await t.user('bob');
    const created = await createProject(alice, 'alice', 'hooks');
    expect(created.status).toBe(200);
    projectId = Number(created.body.id);
    const addScm = (name: string, over: Record<string, unknown>) =>
      alice.send('POST', `package/add/alice/hooks/${name}/scm`, {
        json: {
          package_name: name,
          clone_url: `${REPO}.git`,
          committish: '',
          subdirectory: '',
          spec: '',
          scm_type: 'git',
          source_build_method: 'rpkg',
          max_builds: null,
          timeout: null,
          webhook_rebuild: true,
          ...over,
        },
      });
    for (const [name, over] of [
      ['hello', {}],
      ['hello-stable', { committish: 'stable' }],
      ['no-hook', { webhook_rebuild: false }],
      ['other-repo', { clone_url: 'https://github.com/alice/other.git' }],
      ['lib', { clone_url: 'https://gitlab.com/alice/lib' }],
    ] as const) {
      expect((await addScm(name, over)).status).toBe(200);
    }
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('generates a webhook secret for editors only, replacing the old one', async () => {
    expect((await bob.send('POST', 'webhook/generate/alice/hooks')).status).toBe(403);
    expect((await t.anon.send('POST', 'webhook/generate/alice/hooks', { auth: false })).status).toBe(401);
    const first = await alice.send('POST', 'webhook/generate/alice/hooks');
    const second = await alice.send('POST', 'webhook/generate/alice/hooks');
    expect(second.status).toBe(200);
    expect(Object.keys(second.body).sort()).toEqual(['full_name', 'id', 'name', 'ownername', 'webhook_secret']);
    expect(second.body).toMatchObject({ id: projectId, name: 'hooks', ownername: 'alice', full_name: 'alice/hooks' });
    expect(second.body.webhook_secret).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second.body.webhook_secret).not.toBe(first.body.webhook_secret);
    secret = String(second.body.webhook_secret);
    // The old secret no longer opens the webhook.
    const stale = await post(t, `/webhooks/github/${projectId}/${String(first.body.webhook_secret)}/`, githubPush('refs/heads/main'), {
      'x-github-event': 'push',
    });
    expect(stale.status).toBe(403);
    expect(await projectBuilds()).toEqual([]);
  });

  it('GitHub push with a valid signature builds the matching packages, submitter null', async () => {
    const body = JSON.stringify(githubPush('refs/heads/main'));
    const before = wakes;
    const res = await post(t, `/webhooks/github/${projectId}/${secret}/`, body, {
      'x-github-event': 'push',
      'x-hub-signature-256': sign(secret, body),
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    });
    expect(res.status, res.text).toBe(200);
    const created = await projectBuilds();
    // `hello` follows any branch; `hello-stable` wants `stable`; `no-hook` and `other-repo` never.
    expect(created.map((b) => b.package_name)).toEqual(['hello']);
    expect(res.body.builds).toEqual(created.map((b) => b.id));
    expect(created[0]).toMatchObject({ submitter: null, source_type: 'scm', source_status: 'pending' });
    expect(created[0]!.source_dict).toMatchObject({ clone_url: `${REPO}.git`, committish: '' });
    expect(wakes).toBeGreaterThan(before);
  });

  it('GitHub push to the branch a package pins, and a tag push, in the legacy form without a signature', async () => {
    const n0 = (await projectBuilds()).length;
    const branch = await post(t, `/webhooks/github/${projectId}/${secret}/hello-stable/`, githubPush('refs/heads/stable', 'git@github.com:alice/hello'), {
      'x-github-event': 'push',
    });
    expect(branch.status, branch.text).toBe(200);
    let all = await projectBuilds();
    expect(all.slice(n0).map((b) => b.package_name)).toEqual(['hello-stable']);

    const tag = await post(t, `/webhooks/github/${projectId}/${secret}`, githubPush('refs/tags/v2.0'), { 'x-github-event': 'push' });
    expect(tag.status, tag.text).toBe(200);
    all = await projectBuilds();
    const tagged = all.slice(n0 + 1);
    expect(tagged.map((b) => b.package_name).sort()).toEqual(['hello', 'hello-stable']);
    for (const b of tagged) expect(b.source_dict.committish).toBe('v2.0');
  });

  it('GitHub: bad signature, wrong uuid, unknown project, bad payload → 4xx and nothing built', async () => {
    const n0 = (await projectBuilds()).length;
    const body = JSON.stringify(githubPush('refs/heads/main'));
    const cases: Array<[string, Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp]> = [
      ['tampered body', post(t, `/webhooks/github/${projectId}/${secret}/`, body.replace('bump', 'evil'), { 'x-github-event': 'push', 'x-hub-signature-256': sign(secret, body) }), 403, /X-Hub-Signature-256/],
      ['signed with another key', post(t, `/webhooks/github/${projectId}/${secret}/`, body, { 'x-github-event': 'push', 'x-hub-signature-256': sign('other', body) }), 403, /X-Hub-Signature-256/],
      ['wrong uuid', post(t, `/webhooks/github/${projectId}/00000000-0000-4000-8000-000000000000/`, body, { 'x-github-event': 'push' }), 403, /Bad webhook secret/],
      ['unknown project', post(t, `/webhooks/github/999999/${secret}/`, body, { 'x-github-event': 'push' }), 404, /does not exist/],
      ['non-numeric project', post(t, `/webhooks/github/abc/${secret}/`, body, { 'x-github-event': 'push' }), 404, /does not exist/],
      ['not JSON', post(t, `/webhooks/github/${projectId}/${secret}/`, '{not json', { 'x-github-event': 'push' }), 400, /not valid JSON/],
      ['no repository', post(t, `/webhooks/github/${projectId}/${secret}/`, { ref: 'refs/heads/main' }, { 'x-github-event': 'push' }), 400, /Bad webhook payload: repository/],
      ['no event header', post(t, `/webhooks/github/${projectId}/${secret}/`, body), 400, /X-GitHub-Event/],
      ['odd ref', post(t, `/webhooks/github/${projectId}/${secret}/`, githubPush('refs/notes/x'), { 'x-github-event': 'push' }), 400, /neither a branch nor a tag/],
    ];
    for (const [label, pending, status, msg] of cases) {
      const res = await pending;
      expect(res.status, label).toBe(status);
      expect(String(res.body.error), label).toMatch(msg);
    }
    // Accepted but nothing to do: ping, a deleted branch.
    const ping = await post(t, `/webhooks/github/${projectId}/${secret}/`, { zen: 'hi', hook_id: 1 }, { 'x-github-event': 'ping' });
    expect(ping.status).toBe(200);
    expect(ping.body.builds).toEqual([]);
    const deleted = await post(t, `/webhooks/github/${projectId}/${secret}/`, { ...githubPush('refs/heads/main'), deleted: true }, { 'x-github-event': 'push' });
    expect(deleted.body.builds).toEqual([]);
    expect((await projectBuilds()).length).toBe(n0);
  });

  it('GitLab push with X-Gitlab-Token builds; a wrong token is refused', async () => {
    const n0 = (await projectBuilds()).length;
    const wrong = await post(t, `/webhooks/gitlab/${projectId}/${secret}/`, gitlabPush('refs/heads/main'), {
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': 'not-the-secret',
    });
    expect(wrong.status).toBe(403);
    expect(String(wrong.body.error)).toMatch(/X-Gitlab-Token/);
    const badPayload = await post(t, `/webhooks/gitlab/${projectId}/${secret}/`, { object_kind: 'push' }, { 'x-gitlab-event': 'Push Hook' });
    expect(badPayload.status).toBe(400);
    expect((await projectBuilds()).length).toBe(n0);

    const ok = await post(t, `/webhooks/gitlab/${projectId}/${secret}/`, gitlabPush('refs/heads/main'), {
      'x-gitlab-event': 'Push Hook',
      'x-gitlab-token': secret,
    });
    expect(ok.status, ok.text).toBe(200);
    const added = (await projectBuilds()).slice(n0);
    expect(added.map((b) => [b.package_name, b.submitter])).toEqual([['lib', null]]);
  });

  it('Bitbucket, Pagure and custom webhooks', async () => {
    const n0 = (await projectBuilds()).length;
    const bb = await post(
      t,
      `/webhooks/bitbucket/${projectId}/${secret}/`,
      {
        repository: { full_name: 'alice/hello', links: { html: { href: 'https://bitbucket.org/alice/hello' } } },
        push: { changes: [{ new: { type: 'branch', name: 'main' }, old: null }] },
      },
      { 'x-event-key': 'repo:push' },
    );
    expect(bb.status, bb.text).toBe(200);
    expect(bb.body.builds).toEqual([]); // the packages point at GitHub, not Bitbucket

    const pagure = await post(t, `/webhooks/pagure/${projectId}/${secret}/`, {
      topic: 'git.receive',
      msg: { branch: 'main', pagure_instance: 'https://github.com/', repo: { fullname: 'alice/hello' } },
    });
    expect(pagure.status, pagure.text).toBe(200);
    expect((pagure.body.builds as number[]).length).toBe(1);

    const custom = await post(t, `/webhooks/custom/${projectId}/${secret}/no-hook/`, 'anything');
    expect(custom.status, custom.text).toBe(200);
    const missing = await post(t, `/webhooks/custom/${projectId}/${secret}/nope/`, '');
    expect(missing.status).toBe(404);
    const added = (await projectBuilds()).slice(n0);
    expect(added.map((b) => b.package_name)).toEqual(['hello', 'no-hook']);
    // An SCM package builds from its stored source: the body is not part of it.
    expect(added[1]!.source_dict).not.toHaveProperty('hook_data');
  });

  it('hands a custom webhook body to custom-script packages as hook_data (size-capped)', async () => {
    const add = await alice.send('POST', 'package/add/alice/hooks/scripted/custom', {
      json: { package_name: 'scripted', script: 'cat hook_payload', script_chroot: null, script_builddeps: null, script_resultdir: null, script_repos: null },
    });
    expect(add.status, JSON.stringify(add.body)).toBe(200);
    const n0 = (await projectBuilds()).length;
    const payload = JSON.stringify({ ref: 'v2', note: 'from CI' });
    const res = await post(t, `/webhooks/custom/${projectId}/${secret}/scripted/`, payload);
    expect(res.status, res.text).toBe(200);
    const [build] = (await projectBuilds()).slice(n0);
    expect(build!.source_dict).toMatchObject({ script: 'cat hook_payload\n', hook_data: payload });
    const big = await post(t, `/webhooks/custom/${projectId}/${secret}/scripted/`, 'x'.repeat(64 * 1024 + 1));
    expect(big.status).toBe(400);
    expect((await projectBuilds()).length).toBe(n0 + 1);
  });
});

describe('normaliseCloneUrl', () => {
  it('maps the forms a forge reports onto one', () => {
    const forms = [
      'https://github.com/alice/hello',
      'https://github.com/alice/hello.git',
      'https://GitHub.com/alice/hello/',
      'http://github.com/alice/hello.git/',
      'git://github.com/alice/hello.git',
      'ssh://git@github.com/alice/hello.git',
      'git@github.com:alice/hello.git',
      'https://user@github.com/alice/hello',
    ];
    for (const f of forms) expect(normaliseCloneUrl(f), f).toBe('github.com/alice/hello');
    expect(normaliseCloneUrl('https://github.com/alice/hello2')).not.toBe('github.com/alice/hello');
    expect(normaliseCloneUrl('https://gitlab.com/alice/hello')).not.toBe('github.com/alice/hello');
  });
});
