import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCliEnv, type CliEnv, type CliUser } from '../support/copr-cli.js';

/**
 * Projects as a Copr user drives them: the REAL copr-cli (pinned in
 * requirements-test.txt) against the local service. Error lines are what scripts
 * grep for, so they are checked to the character.
 */
// Each copr-cli run is a Python start-up (~1 s, several on a loaded 2-core box).
vi.setConfig({ testTimeout: 120_000 });
const CHROOT = 'fedora-44-x86_64';
let env: CliEnv;
let alice: CliUser;
let bob: CliUser;

beforeAll(async () => {
  env = await startCliEnv();
  alice = await env.user('alice');
  bob = await env.user('bob');
}, 60_000);

afterAll(async () => {
  await env?.stop();
});

describe('copr-cli create: per-field validation errors', () => {
  it('a wrong chroot: exit 1, `Error:` and the field line, nothing created', async () => {
    const r = await alice.run(['create', 'wrongchroot', '--chroot', 'wrong-chroot-name']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("\nError: chroots: 'wrong-chroot-name' is not a valid choice for this field.\n");
    expect((await alice.run(['get', 'wrongchroot'])).code).toBe(1);
  });

  it('several problems: one `- <field>: <message>` line each', async () => {
    const r = await alice.run(['create', 'twoproblems', '--chroot', 'bad-one', '--repo', 'copr://nobody/nothing']);
    expect(r.code).toBe(1);
    // The chroots are checked before the repos (one problem reported per check), as upstream's form does.
    expect(r.stderr).toContain("\nError: chroots: 'bad-one' is not a valid choice for this field.\n");
    const two = await alice.run(['create', 'tworepos', '--chroot', CHROOT, '--repo', 'copr://nobody/nothing', '--repo', 'copr://bob/missing']);
    expect(two.code).toBe(1);
    expect(two.stderr).toContain('\nError: \n- repos: copr://nobody/nothing does not exist.\n- repos: copr://bob/missing does not exist.\n');
  });

  it('a duplicate name: the `name:` line', async () => {
    expect((await alice.run(['create', 'dup', '--chroot', CHROOT])).code).toBe(0);
    const r = await alice.run(['create', 'dup', '--chroot', CHROOT]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("\nError: name: You already have a project named 'dup'.\n");
  });

  it('a copr:// repo must name an existing project; an existing one is accepted', async () => {
    const missing = await alice.run(['create', 'withrepo', '--chroot', CHROOT, '--repo', 'copr://bob/tools']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('\nError: repos: copr://bob/tools does not exist.\n');
    expect((await bob.run(['create', 'tools', '--chroot', CHROOT])).code).toBe(0);
    const ok = await alice.run(['create', 'withrepo', '--chroot', CHROOT, '--repo', 'copr://bob/tools']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe(`New project was successfully created: ${env.url}/coprs/alice/withrepo/`);
    // modify checks the same way.
    const mod = await alice.run(['modify', 'withrepo', '--repo', 'copr://bob/gone']);
    expect(mod.code).toBe(1);
    expect(mod.stderr).toContain('\nError: repos: copr://bob/gone does not exist.\n');
  });
});

describe('copr-cli list / get / get-chroot / mock-config output', () => {
  it('get and list print the name, an empty description (not None), the repos', async () => {
    expect((await alice.run(['create', 'shown', '--chroot', CHROOT, '--chroot', 'epel-10-aarch64'])).code).toBe(0);
    const expected = [
      'Name: shown',
      '  Description: ',
      '  Repo(s):',
      `    epel-10-aarch64: ${env.url}/results/alice/shown/epel-10-aarch64/`,
      `    ${CHROOT}: ${env.url}/results/alice/shown/${CHROOT}/`,
      '',
    ].join('\n');
    const get = await alice.run(['get', 'shown']);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toBe(`${expected}\n`);
    const list = await alice.run(['list', 'alice']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(expected);
    // Another user's empty list: message on stderr, exit 0.
    const none = await alice.run(['list', 'nobody']);
    expect(none.code).toBe(0);
    expect(none.stderr).toContain("No copr retrieved for user: 'nobody'");
  });

  it('the wire values behind it: "" for unset texts, "unchanged" chroot isolation, no bootstrap keys', async () => {
    const project = await alice.api.get('project', { ownername: 'alice', projectname: 'shown' });
    expect(project.body).toMatchObject({ description: '', instructions: '', homepage: null, contact: null });
    const chroot = await alice.api.get('project-chroot', { ownername: 'alice', projectname: 'shown', chrootname: CHROOT });
    expect(Object.keys(chroot.body).sort()).toEqual(
      ['additional_modules', 'additional_packages', 'additional_repos', 'comps_name', 'delete_after_days', 'isolation', 'mock_chroot', 'ownername', 'projectname', 'with_opts', 'without_opts'],
    );
    expect(chroot.body.isolation).toBe('unchanged');
    const cfg = await alice.api.get('project-chroot/build-config', { ownername: 'alice', projectname: 'shown', chrootname: CHROOT });
    expect(cfg.body.isolation).toBe('unchanged');
    expect(cfg.body).not.toHaveProperty('bootstrap');
  });

  it('get-chroot prints the chroot as JSON', async () => {
    const r = await alice.run(['get-chroot', `alice/shown/${CHROOT}`]);
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({ mock_chroot: CHROOT, isolation: 'unchanged', additional_packages: [], comps_name: null });
    expect(printed).not.toHaveProperty('bootstrap');
  });

  it('edit-chroot then mock-config: the packages and options reach the mock config', async () => {
    const edit = await alice.run(['edit-chroot', `alice/shown/${CHROOT}`, '--packages', 'gcc make', '--rpmbuild-with', 'docs', '--isolation', 'simple']);
    expect(edit.code, edit.stderr).toBe(0);
    const r = await alice.run(['mock-config', 'alice/shown', CHROOT]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`include('/etc/mock/${CHROOT}.cfg')`);
    expect(r.stdout).toContain("config_opts['isolation'] = 'simple'");
    expect(r.stdout).toContain(`baseurl=${env.url}/results/alice/shown/${CHROOT}/`);
    expect(r.stdout).toMatch(/gcc make/);
  });

  it('modify sends null for unset options and keeps what was not given', async () => {
    expect((await alice.run(['modify', 'shown', '--description', 'Now described'])).code).toBe(0);
    const get = await alice.run(['get', 'shown']);
    expect(get.stdout).toContain('  Description: Now described\n');
  });

  it('a missing project: exit 1 and upstream\'s message', async () => {
    const r = await alice.run(['get', 'alice/nothing-here']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Project alice/nothing-here does not exist.');
  });
});
