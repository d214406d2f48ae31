import { badRequest } from './errors.js';
import type { ProjectSettings } from './projects.js';

/**
 * Project settings Copr honours that this service cannot honour faithfully, refused with
 * a 400 instead of being stored and silently ignored.
 *
 * `appstream`: Copr runs `appstream-builder` (appstream-glib) after createrepo and adds
 * the catalog to repodata. Debian no longer ships appstream-builder, and the publisher
 * (local and the Fargate task) does not run Debian's appstream-generator (whose rpm-md
 * backend would be the closest equivalent), so no AppStream metadata would appear.
 */
export function refuseUnsupportedSettings(s: Pick<ProjectSettings, 'appstream'>): void {
  if (s.appstream === true) {
    throw badRequest(
      'appstream: AppStream metadata generation is not available on this Copr instance (the repository publisher has no appstream-builder); create or edit the project with appstream off.',
    );
  }
}
