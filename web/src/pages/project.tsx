import { get } from '../api.js';
import { ProjectFrame } from '../components/project-frame.js';
import { BuildTable } from '../components/tables.js';
import { CopyBlock, ErrorMessage, Loading, SafeLink } from '../components/ui.js';
import { nameRelease, projectPath, repoFilePath } from '../paths.js';
import { Link } from '../router.js';
import type { Build, Paginated, Project } from '../types.js';
import { useLoad } from '../use-api.js';

export function ProjectPage({ owner, project }: { owner: string; project: string }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="overview" title="Overview">
      {({ project: p }) => <Overview project={p} />}
    </ProjectFrame>
  );
}

function Overview({ project: p }: { project: Project }) {
  const builds = useLoad(
    async () => (await get<Paginated<Build>>('build/list', { ownername: p.ownername, projectname: p.name, limit: 10, order: 'id', order_type: 'DESC' })).items,
    [p.full_name],
  );
  const chroots = Object.keys(p.chroot_repos).sort();
  const releases = [...new Set(chroots.map(nameRelease))];
  return (
    <>
      <div class="grid2">
        <section aria-labelledby="desc-h">
          <h2 id="desc-h">Description</h2>
          <div class="text">{p.description || <span class="muted">No description.</span>}</div>
          <h2>Installation instructions</h2>
          <div class="text">{p.instructions || <span class="muted">No instructions.</span>}</div>
          <CopyBlock label="Enable this repository" text={`dnf copr enable ${p.full_name}`} />
        </section>
        <section aria-labelledby="about-h">
          <h2 id="about-h">About</h2>
          <dl class="facts">
            <dt>Homepage</dt>
            <dd>
              <SafeLink href={p.homepage} />
            </dd>
            <dt>Contact</dt>
            <dd>{p.contact ? <SafeLink href={p.contact} /> : <span class="muted">—</span>}</dd>
            <dt>Network during builds</dt>
            <dd>{p.enable_net ? 'enabled' : 'disabled'}</dd>
            <dt>Repository</dt>
            <dd>{p.devel_mode ? 'manual createrepo (devel mode)' : 'updated after every build'}</dd>
          </dl>
        </section>
      </div>
      <section aria-labelledby="chroots-h">
        <h2 id="chroots-h">Active releases</h2>
        {chroots.length === 0 ? (
          <p class="muted">No chroots enabled.</p>
        ) : (
          <div class="scroll">
            <table>
              <caption class="sr-only">Enabled releases with repository files</caption>
              <thead>
                <tr>
                  <th scope="col">Release</th>
                  <th scope="col">Architectures</th>
                  <th scope="col">Repo download</th>
                  <th scope="col">Enable with dnf</th>
                </tr>
              </thead>
              <tbody>
                {releases.map((nr) => (
                  <tr key={nr}>
                    <td>{nr}</td>
                    <td>
                      {chroots
                        .filter((c) => nameRelease(c) === nr)
                        .map((c) => (
                          <a key={c} class="chip" href={p.chroot_repos[c]} rel="noopener">
                            {c.slice(nr.length + 1)}
                          </a>
                        ))}
                    </td>
                    <td>
                      <a href={repoFilePath(p.ownername, p.name, nr)} download>
                        {nr}.repo
                      </a>
                    </td>
                    <td>
                      <code>
                        dnf copr enable {p.full_name} {nr}-$(uname -m)
                      </code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="latest-h">
        <h2 id="latest-h">Latest builds</h2>
        <ErrorMessage error={builds.error} />
        {builds.data ? <BuildTable builds={builds.data} caption="Latest builds" /> : !builds.error ? <Loading /> : null}
        <p>
          <Link href={projectPath(p.ownername, p.name, 'builds')}>All builds →</Link>
        </p>
      </section>
    </>
  );
}
