// Every rpm/rpmspec/rpm2cpio call of a stage goes through the sandbox port, offline. The
// sandbox here records each request and delegates to bubblewrap (so the stage really runs);
// the same requests are then rendered by the mock sandbox, which is what the AMI would run.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import type { CommandRequest, Sandbox } from '../../builder-ami/agent/sandbox.js';
import { createBwrapSandbox } from '../../builder-ami/agent/sandbox-bwrap.js';
import { createMockSandbox } from '../../builder-ami/agent/sandbox-mock.js';
import { localPorts, makeSrpm, removeDir, startServer, tempDir, type TestServer } from './helpers.js';

function recording(inner: Sandbox): { sandbox: Sandbox; requests: CommandRequest[] } {
  const requests: CommandRequest[] = [];
  return {
    requests,
    sandbox: {
      ...inner,
      commandArgv: (req) => {
        requests.push(req);
        return inner.commandArgv(req);
      },
    },
  };
}

describe('package queries in the sandbox', () => {
  let root: string;
  let server: TestServer;

  beforeAll(async () => {
    root = tempDir('queries');
    const files = join(root, 'files');
    mkdirSync(files);
    makeSrpm('exclusive.spec', files);
    server = await startServer(files);
  });
  afterAll(async () => {
    await server.close();
    removeDir(root);
  });

  it('runs rpm -qp, rpm2cpio and rpmspec of the SRPM stage through the sandbox, without network', async () => {
    const ports = localPorts(join(root, 'srpm'));
    const { sandbox, requests } = recording(createBwrapSandbox());
    const outcome = await runTask(
      {
        kind: 'srpm',
        task_id: '3',
        build_id: 3,
        project_owner: 'jdoe',
        project_name: 'demo',
        project_dirname: 'demo',
        enable_net: true,
        source_type: 'link',
        source_json: JSON.stringify({ url: `${server.url}/exclusive-2.0-3.src.rpm` }),
        distributions_in_build: ['fedora-41', 'epel-9'],
      },
      { ...ports.deps, sandbox },
    );
    expect(outcome.fail_reason).toBeUndefined();
    const tools = requests.map((r) => (r.argv[0] === 'bash' ? 'rpm2cpio' : r.argv[0]));
    // The link check and the stage's check (rpm -qp), extractSpec, the header tags, then
    // one rpmspec per distribution.
    expect(tools).toEqual(['rpm', 'rpm', 'rpm2cpio', 'rpm', 'rpmspec', 'rpmspec']);
    expect(requests.every((r) => !r.enableNet && r.workDir === join(root, 'srpm', 'work', 'build'))).toBe(true);
    // On the AMI the same requests become mock --chroot calls, unprivileged and offline.
    const mock = createMockSandbox();
    for (const req of requests) {
      const argv = mock.commandArgv(req);
      expect(argv.slice(0, 3)).toEqual(['mock', '-r', '/etc/mock/default.cfg']);
      expect(argv).toContain('--chroot');
      expect(argv).toContain('--unpriv');
      expect(argv).not.toContain('--enable-network');
    }
  });
});
