import type { Project } from './model.js';
import type { Store } from './ports.js';

/**
 * Which chroots can take builds: the one place that decides it. A mock chroot is
 * active until it is deactivated (EOL or retired); a project chroot is usable while
 * its mock chroot is active.
 */
export async function activeChrootNames(store: Pick<Store, 'listMockChroots'>): Promise<Set<string>> {
  return new Set((await store.listMockChroots()).filter((m) => m.is_active).map((m) => m.name));
}

/** The project's chroots that can take builds now, in the project's order. */
export async function usableChroots(store: Pick<Store, 'listMockChroots' | 'listProjectChroots'>, project: Pick<Project, 'ownername' | 'name'>): Promise<string[]> {
  const active = await activeChrootNames(store);
  return (await store.listProjectChroots(project.ownername, project.name)).map((c) => c.mock_chroot).filter((c) => active.has(c));
}
