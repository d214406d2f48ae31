// A builder sandbox probe: a hostile %build tries, one by one, everything a build must not
// do — read the data dir, /root, another builder's dir, the checkout and the agent's own
// files; write outside its work dir and tmpfs; see host processes and the agent's
// environment; reach 127.0.0.1 and other addresses with the network off, and the service
// (a host 127.0.0.1 listener) with the network on. Each probe prints `PROBE name=open|refused`
// into the build log, and each is asserted on its own, next to positive controls that show
// the probes can say "open".
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import { localPorts, readGzLog, removeDir, startServer, tempDir, type TestServer } from '../builder/helpers.js';
import {
  connectCmd,
  countingListener,
  hostAddress,
  parseProbes,
  PROBE_FUNCTION,
  rpmTask,
  specWithBuild,
  srpmFromSpecText,
  type CountingListener,
} from './sandbox-helpers.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const SECRET_ENV = 'COPR_PROBE_SECRET';

describe('builder sandbox probe', { timeout: 120_000 }, () => {
  const id = `${process.pid}-${Date.now()}`;
  let root: string;
  let files: string;
  let server: TestServer;
  let service: CountingListener;
  let anyAddress: CountingListener;
  const rootSecret = `/root/.copr-probe-${id}`;
  const hostIp = hostAddress();

  // Where things live on the host, as a local `npm start` lays them out.
  const paths = () => ({
    dataDir: join(root, 'data'),
    me: join(root, 'data', 'builders', 'me'),
    other: join(root, 'data', 'builders', 'other'),
  });

  function probeSpec(name: string): string {
    const p = paths();
    const meta = join(p.me, 'work', 'meta');
    const lines = [
      PROBE_FUNCTION,
      // Positive controls: the build's own places.
      `probe write-own-workdir touch ./probe-${id}`,
      `probe write-own-tmp touch /tmp/probe-${id}`,
      `probe write-own-home touch "$HOME/probe-${id}"`,
      `probe read-usr test -r /usr/bin/rpmbuild`,
      // Secrets and other tenants.
      `probe read-data-dir cat ${join(p.dataDir, 'copr-cli.conf')}`,
      // The work dir's parents exist inside as empty mount points; nothing else of them shows.
      `probe list-data-dir sh -c 'ls -A ${p.dataDir} | grep -q copr-cli.conf'`,
      `probe list-other-builders sh -c 'ls -A ${join(p.dataDir, 'builders')} | grep -q other'`,
      `probe read-root-home cat ${rootSecret}`,
      'probe list-root-home ls /root',
      `probe read-other-builder cat ${join(p.other, 'credential')}`,
      `probe read-own-credential cat ${join(p.me, 'credential')}`,
      `probe read-agent-meta ls ${meta}`,
      `probe read-checkout cat ${join(REPO_ROOT, 'package.json')}`,
      'probe read-shadow cat /etc/shadow',
      'probe list-tls-private ls /etc/ssl/private',
      `probe read-agent-env sh -c 'test -n "$${SECRET_ENV}"'`,
      `probe see-host-process test -e /proc/${process.pid}/cmdline`,
      // Writes outside.
      `probe write-usr touch /usr/probe-${id}`,
      `probe write-etc touch /etc/probe-${id}`,
      `probe write-root-dir touch /probe-${id}`,
      `probe write-agent-meta touch ${join(meta, `probe-${id}`)}`,
      `probe write-checkout touch ${join(REPO_ROOT, `probe-${id}`)}`,
      // The work dir's parent below /tmp exists inside, in the private /tmp tmpfs: the write
      // succeeds there and must not land on the host (checked after the build).
      `probe write-tmp-parent touch ${join(root, `outside-${id}`)}`,
      // Network.
      `probe net-host-loopback ${connectCmd('127.0.0.1', service.port)}`,
      `probe net-gateway-to-host ${connectCmd('10.0.2.2', service.port)}`,
      `probe net-host-address ${hostIp ? connectCmd(hostIp, anyAddress.port) : 'false'}`,
      `probe net-internet ${connectCmd('192.0.2.1', 80)}`,
      'probe net-has-nat grep -q tap0 /proc/net/dev',
    ];
    return specWithBuild(name, lines.join('\n'));
  }

  beforeAll(async () => {
    root = tempDir('probe');
    const p = paths();
    mkdirSync(p.other, { recursive: true });
    writeFileSync(join(p.dataDir, 'copr-cli.conf'), '[copr-cli]\ntoken = data-dir-secret\n', { mode: 0o600 });
    writeFileSync(join(p.other, 'credential'), 'other-builder-secret', { mode: 0o600 });
    mkdirSync(p.me, { recursive: true });
    writeFileSync(join(p.me, 'credential'), 'own-credential-secret', { mode: 0o600 });
    writeFileSync(rootSecret, 'root-home-secret', { mode: 0o600 });
    process.env[SECRET_ENV] = 'agent-env-secret';
    service = await countingListener('127.0.0.1');
    anyAddress = await countingListener('0.0.0.0');
    files = join(root, 'files');
    mkdirSync(files);
    srpmFromSpecText('probe-off', probeSpec('probe-off'), files);
    srpmFromSpecText('probe-on', probeSpec('probe-on'), files);
    server = await startServer(files);
  });
  afterAll(async () => {
    delete process.env[SECRET_ENV];
    rmSync(rootSecret, { force: true });
    rmSync(`/tmp/probe-${id}`, { force: true });
    await server.close();
    await service.close();
    await anyAddress.close();
    removeDir(root);
  });

  async function runProbe(name: string, enableNet: boolean): Promise<{ probes: Map<string, string>; log: string }> {
    const ports = localPorts(paths().me);
    const outcome = await runTask(rpmTask(`${server.url}/${name}-1-1.src.rpm`, { enable_net: enableNet }), ports.deps);
    expect(outcome.fail_reason).toBeUndefined();
    const log = readGzLog(ports.resultDir, 'build.log');
    return { probes: parseProbes(log), log };
  }

  const OFFLINE_EXPECTED: Record<string, 'open' | 'refused'> = {
    'write-own-workdir': 'open',
    'write-own-tmp': 'open',
    'write-own-home': 'open',
    'read-usr': 'open',
    'read-data-dir': 'refused',
    'list-data-dir': 'refused',
    'list-other-builders': 'refused',
    'read-root-home': 'refused',
    'list-root-home': 'refused',
    'read-other-builder': 'refused',
    'read-own-credential': 'refused',
    'read-agent-meta': 'refused',
    'read-checkout': 'refused',
    'read-shadow': 'refused',
    'list-tls-private': 'refused',
    'read-agent-env': 'refused',
    'see-host-process': 'refused',
    'write-usr': 'refused',
    'write-etc': 'refused',
    'write-root-dir': 'refused',
    'write-agent-meta': 'refused',
    'write-checkout': 'refused',
    'write-tmp-parent': 'open',
    'net-host-loopback': 'refused',
    'net-gateway-to-host': 'refused',
    'net-host-address': 'refused',
    'net-internet': 'refused',
    'net-has-nat': 'refused',
  };

  it('with the network off, every probe outside the build is refused', async () => {
    const { probes, log } = await runProbe('probe-off', false);
    for (const [name, expected] of Object.entries(OFFLINE_EXPECTED)) {
      expect({ probe: name, result: probes.get(name) }).toEqual({ probe: name, result: expected });
    }
    expect(probes.size).toBe(Object.keys(OFFLINE_EXPECTED).length);
    expect(service.connections()).toBe(0);
    expect(anyAddress.connections()).toBe(0);
    // What the build wrote to "its" /tmp stayed in its tmpfs; no write outside landed.
    expect(existsSync(`/tmp/probe-${id}`)).toBe(false);
    expect(existsSync(join(root, `outside-${id}`))).toBe(false);
    expect(existsSync(join(REPO_ROOT, `probe-${id}`))).toBe(false);
    expect(existsSync(`/etc/probe-${id}`) || existsSync(`/usr/probe-${id}`) || existsSync(`/probe-${id}`)).toBe(false);
    expect(existsSync(join(paths().me, 'work', 'meta', `probe-${id}`))).toBe(false);
    // No secret reached the public log either.
    expect(log).not.toMatch(/data-dir-secret|other-builder-secret|own-credential-secret|root-home-secret|agent-env-secret/);
  });

  it('with the network on, the build has a NAT but cannot reach the service on the host loopback', async () => {
    const { probes } = await runProbe('probe-on', true);
    expect({ probe: 'net-has-nat', result: probes.get('net-has-nat') }).toEqual({ probe: 'net-has-nat', result: 'open' });
    for (const name of ['net-host-loopback', 'net-gateway-to-host', 'read-data-dir', 'read-root-home', 'read-other-builder', 'read-agent-env']) {
      expect({ probe: name, result: probes.get(name) }).toEqual({ probe: name, result: 'refused' });
    }
    expect(service.connections()).toBe(0);
  });
});
