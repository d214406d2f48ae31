import { ProjectFrame } from '../components/project-frame.js';
import { CopyBlock } from '../components/ui.js';
import { nameRelease, repoFilePath } from '../paths.js';
import type { Project } from '../types.js';

export function RepositoriesPage({ owner, project }: { owner: string; project: string }) {
  return (
    <ProjectFrame owner={owner} project={project} tab="repositories" title="Repositories">
      {({ project: p }) => <Repositories project={p} />}
    </ProjectFrame>
  );
}

/** Every enabled chroot with its repository (baseurl) and the `.repo` file of its release. */
function Repositories({ project: p }: { project: Project }) {
  const chroots = Object.keys(p.chroot_repos).sort();
  if (chroots.length === 0) return <p class="muted">No chroots enabled.</p>;
  return (
    <>
      <CopyBlock label="Enable this project's repository" text={`dnf copr enable ${p.full_name}`} />
      <div class="scroll">
        <table>
          <caption class="sr-only">Repositories of each chroot</caption>
          <thead>
            <tr>
              <th scope="col">Chroot</th>
              <th scope="col">Repository</th>
              <th scope="col">Repo file</th>
            </tr>
          </thead>
          <tbody>
            {chroots.map((c) => {
              const nr = nameRelease(c);
              return (
                <tr key={c}>
                  <th scope="row">{c}</th>
                  <td>
                    <a href={p.chroot_repos[c]} rel="noopener">
                      {p.chroot_repos[c]}
                    </a>
                  </td>
                  <td>
                    <a href={repoFilePath(p.ownername, p.name, nr)} download>
                      {nr}.repo
                    </a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
