// Reproduction: custom-script and make_srpm builds used to get the host's network whatever
// the project's enable_net, so a script could talk to everything on the host's loopback
// (the API, DynamoDB Local, the OIDC issuer). Now enable_net off means no network at all,
// and enable_net on means an own namespace with outbound NAT and no path to the host's
// loopback. The host service is stood in for by a TCP listener on 127.0.0.1 that counts
// connections.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import { localPorts, removeDir, tempDir } from '../builder/helpers.js';
import { connectCmd, countingListener, parseProbes, PROBE_FUNCTION, specWithBuild, srpmTask, type CountingListener } from './sandbox-helpers.js';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' });

describe('network of SRPM-stage scripts', { timeout: 120_000 }, () => {
  let root: string;
  let service: CountingListener;

  /** Probe lines: the host service directly, through slirp's gateway, and whether any NAT exists. */
  function probeScript(): string {
    return [
      PROBE_FUNCTION,
      `probe host-loopback ${connectCmd('127.0.0.1', service.port)}`,
      `probe gateway-to-host ${connectCmd('10.0.2.2', service.port)}`,
      'probe has-nat grep -q tap0 /proc/net/dev',
    ].join('\n');
  }

  function customScript(): string {
    return `#!/bin/bash\n${probeScript()}\ncat > net.spec <<'COPR_EOF'\n${specWithBuild('net', 'true')}COPR_EOF\n`;
  }

  beforeAll(async () => {
    root = tempDir('net');
    service = await countingListener('127.0.0.1');
  });
  afterAll(async () => {
    await service.close();
    removeDir(root);
  });

  it('a custom script with enable_net off cannot connect to a listener on the host loopback', async () => {
    const ports = localPorts(join(root, 'custom-off'));
    const outcome = await runTask(srpmTask('custom', { script: customScript() }, { enable_net: false }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    const probes = parseProbes(ports.liveLog());
    expect(probes.get('host-loopback')).toBe('refused');
    expect(probes.get('gateway-to-host')).toBe('refused');
    expect(probes.get('has-nat')).toBe('refused');
    expect(service.connections()).toBe(0);
  });

  it('a make_srpm build with enable_net off cannot connect to a listener on the host loopback', async () => {
    const repo = join(root, 'repo');
    mkdirSync(join(repo, '.copr'), { recursive: true });
    writeFileSync(join(repo, 'probe.sh'), `${probeScript()}\n`);
    writeFileSync(join(repo, 'net.spec'), specWithBuild('net', 'true'));
    writeFileSync(
      join(repo, '.copr', 'Makefile'),
      'srpm:\n\tbash probe.sh\n\trpmbuild -bs --define "_topdir $(outdir)/.top" --define "_sourcedir $(CURDIR)" --define "_srcrpmdir $(outdir)" $(spec)\n',
    );
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'make_srpm');
    const ports = localPorts(join(root, 'make-off'));
    const source = { type: 'git', clone_url: `file://${repo}`, spec: 'net.spec', srpm_build_method: 'make_srpm' };
    const outcome = await runTask(srpmTask('scm', source, { enable_net: false }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    const probes = parseProbes(ports.liveLog());
    expect(probes.get('host-loopback')).toBe('refused');
    expect(probes.get('gateway-to-host')).toBe('refused');
    expect(probes.get('has-nat')).toBe('refused');
    expect(service.connections()).toBe(0);
  });

  it('with enable_net on, the script has a network of its own but still no path to the host loopback', async () => {
    const ports = localPorts(join(root, 'custom-on'));
    const outcome = await runTask(srpmTask('custom', { script: customScript() }, { enable_net: true }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    const probes = parseProbes(ports.liveLog());
    // The namespace is wired (slirp4netns' tap device), so the refusals below are the
    // firewalling of the host's loopback, not a missing network.
    expect(probes.get('has-nat')).toBe('open');
    expect(probes.get('host-loopback')).toBe('refused');
    expect(probes.get('gateway-to-host')).toBe('refused');
    expect(service.connections()).toBe(0);
  });
});
