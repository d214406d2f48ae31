// pypi and rubygems SRPM stages against fake index servers on 127.0.0.1, with an sdist and
// a .gem made at test time; the generated gem spec is then built by the RPM stage.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTask } from '../../builder-ami/agent/run-task.js';
import type { TaskInput } from '../../builder-ami/agent/task.js';
import { jsonRoute, localPorts, removeDir, startServer, tempDir, type TestServer } from './helpers.js';

const base = {
  build_id: 21,
  project_owner: 'jdoe',
  project_name: 'demo',
  project_dirname: 'demo',
  timeout: 60,
  enable_net: false,
  package_name: null,
};

function srpmTask(sourceType: 'pypi' | 'rubygems', source: unknown): TaskInput {
  return {
    ...base,
    kind: 'srpm',
    task_id: '21',
    source_type: sourceType,
    source_json: JSON.stringify(source),
    chroot: null,
    distributions_in_build: ['fedora-41'],
    distributions_in_project: [],
  };
}

/** tinypkg-0.3.tar.gz: a minimal setuptools sdist. */
function makeSdist(dir: string): void {
  const src = join(dir, 'tinypkg-0.3');
  mkdirSync(join(src, 'tinypkg'), { recursive: true });
  writeFileSync(join(src, 'setup.py'), "from setuptools import setup\nsetup(name='tinypkg', version='0.3', packages=['tinypkg'])\n");
  writeFileSync(join(src, 'tinypkg', '__init__.py'), "VALUE = 'tiny'\n");
  writeFileSync(join(src, 'PKG-INFO'), 'Metadata-Version: 2.1\nName: tinypkg\nVersion: 0.3\n');
  execFileSync('tar', ['-czf', 'tinypkg-0.3.tar.gz', 'tinypkg-0.3'], { cwd: dir });
}

/** tinygem-0.1.0.gem: a tar of metadata.gz, data.tar.gz and checksums.yaml.gz. */
function makeGem(dir: string): void {
  const work = join(dir, 'gem-build');
  mkdirSync(join(work, 'data', 'lib'), { recursive: true });
  writeFileSync(join(work, 'data', 'lib', 'tinygem.rb'), "module Tinygem\n  VALUE = 'tiny'\nend\n");
  execFileSync('tar', ['-czf', '../data.tar.gz', 'lib'], { cwd: join(work, 'data') });
  writeFileSync(join(work, 'metadata'), '--- !ruby/object:Gem::Specification\nname: tinygem\nversion: !ruby/object:Gem::Version\n  version: 0.1.0\n');
  writeFileSync(join(work, 'checksums.yaml'), '---\nSHA256: {}\n');
  execFileSync('gzip', ['-n', 'metadata', 'checksums.yaml'], { cwd: work });
  execFileSync('tar', ['-cf', join(dir, 'tinygem-0.1.0.gem'), 'metadata.gz', 'data.tar.gz', 'checksums.yaml.gz'], { cwd: work });
}

describe('package index sources', () => {
  let root: string;
  let server: TestServer;

  beforeAll(async () => {
    root = tempDir('index');
    const files = join(root, 'files');
    mkdirSync(join(files, 'packages'), { recursive: true });
    mkdirSync(join(files, 'gems'), { recursive: true });
    makeSdist(join(files, 'packages'));
    makeGem(join(files, 'gems'));
    // The routes answer with URLs of this same server, known only once it listens.
    const url = (): string => server.url;
    server = await startServer(files, [
      (req, res) =>
        jsonRoute('/pypi/tinypkg/json', {
          info: { name: 'tinypkg', version: '0.3', summary: 'A tiny package (100% test)', license: 'MIT' },
          urls: [
            { packagetype: 'bdist_wheel', url: `${url()}/packages/tinypkg-0.3-py3-none-any.whl`, filename: 'tinypkg-0.3-py3-none-any.whl' },
            { packagetype: 'sdist', url: `${url()}/packages/tinypkg-0.3.tar.gz`, filename: 'tinypkg-0.3.tar.gz' },
          ],
        })(req, res),
      (req, res) =>
        jsonRoute('/api/v1/gems/tinygem.json', {
          name: 'tinygem',
          version: '0.1.0',
          info: 'A tiny gem',
          licenses: ['MIT'],
          gem_uri: `${url()}/gems/tinygem-0.1.0.gem`,
        })(req, res),
    ]);
  });
  afterAll(async () => {
    await server.close();
    removeDir(root);
  });

  it('turns a PyPI sdist into an SRPM with a generated spec', async () => {
    const ports = localPorts(join(root, 'pypi'));
    const outcome = await runTask(srpmTask('pypi', { pypi_package_name: 'tinypkg', spec_generator: 'pyp2spec' }), {
      ...ports.deps,
      config: { pypiIndexUrl: server.url },
    });
    expect(outcome.fail_reason).toBeUndefined();
    expect(outcome.srpm_filename).toBe('python-tinypkg-0.3-1.src.rpm');
    expect(outcome.results).toMatchObject({ name: 'python-tinypkg', version: '0.3', release: '1' });
    expect(server.requests).toContain('GET /pypi/tinypkg/json');
    const spec = readFileSync(join(ports.resultDir, 'python-tinypkg.spec'), 'utf8');
    expect(spec).toContain('Source0:        tinypkg-0.3.tar.gz');
    expect(spec).toContain('Summary:        A tiny package (100%% test)');
    expect(spec).toContain('%autosetup -n tinypkg-0.3');
  });

  it('fails clearly when the PyPI package is unknown', async () => {
    const ports = localPorts(join(root, 'pypi-missing'));
    const outcome = await runTask(srpmTask('pypi', { pypi_package_name: 'nope', pypi_package_version: '1.0' }), {
      ...ports.deps,
      config: { pypiIndexUrl: server.url },
    });
    expect(outcome).toMatchObject({ status: 'failed', fail_reason: `download failed: HTTP 404 for ${server.url}/pypi/nope/1.0/json` });
  });

  it('turns a RubyGem into an SRPM that the RPM stage builds', async () => {
    // Prepare + Act: SRPM stage
    const srpmPorts = localPorts(join(root, 'gem-srpm'));
    const srpmOutcome = await runTask(srpmTask('rubygems', { gem_name: 'tinygem' }), {
      ...srpmPorts.deps,
      config: { rubygemsUrl: server.url },
    });
    expect(srpmOutcome.fail_reason).toBeUndefined();
    expect(srpmOutcome.srpm_filename).toBe('rubygem-tinygem-0.1.0-1.src.rpm');
    // Act: RPM stage on the SRPM, served from the SRPM result dir
    const srpmServer = await startServer(srpmPorts.resultDir);
    try {
      const rpmPorts = localPorts(join(root, 'gem-rpm'));
      const outcome = await runTask(
        {
          ...base,
          kind: 'rpm',
          task_id: '21-fedora-41-x86_64',
          chroot: 'fedora-41-x86_64',
          srpm_url: `${srpmServer.url}/rubygem-tinygem-0.1.0-1.src.rpm`,
        },
        rpmPorts.deps,
      );
      // Assess
      expect(outcome.fail_reason).toBeUndefined();
      const rpm = join(rpmPorts.resultDir, 'rubygem-tinygem-0.1.0-1.fc41.noarch.rpm');
      const files = execFileSync('rpm', ['-qpl', '--nosignature', rpm], { encoding: 'utf8' });
      expect(files).toContain('/usr/share/gems/gems/tinygem-0.1.0/lib/tinygem.rb');
    } finally {
      await srpmServer.close();
    }
  });
});
