import type { MockChroot } from './model.js';
import { parseChrootName } from './names.js';
import type { Store } from './ports.js';

/**
 * The build targets a fresh installation offers (current Fedora, EPEL and CentOS
 * Stream for x86_64 and aarch64). Admins change them later with `copr-admin`.
 */
export const DEFAULT_MOCK_CHROOTS: Array<{ name: string; active?: boolean; eol?: boolean; comment?: string }> = [
  ...['43', '44', '45', 'rawhide'].flatMap((v) =>
    ['x86_64', 'aarch64'].map((a) => ({ name: `fedora-${v}-${a}` })),
  ),
  ...['fedora-42-x86_64', 'fedora-42-aarch64'].map((name) => ({
    name,
    active: false,
    eol: true,
    comment: 'Fedora 42 reached its end of life; existing repositories are kept for a while.',
  })),
  ...['9', '10'].flatMap((v) => ['x86_64', 'aarch64'].map((a) => ({ name: `epel-${v}-${a}` }))),
  ...['9', '10'].flatMap((v) => ['x86_64', 'aarch64'].map((a) => ({ name: `centos-stream-${v}-${a}` }))),
];

export function mockChroot(name: string, is_active = true, eol = false, comment = ''): MockChroot {
  const parts = parseChrootName(name);
  return { name, os_release: parts.os_release, os_version: parts.os_version, arch: parts.arch, is_active, eol, comment };
}

/** Adds the default chroots that are missing; never overrides an admin's changes. */
export async function seedMockChroots(store: Store): Promise<number> {
  const existing = new Set((await store.listMockChroots()).map((c) => c.name));
  let added = 0;
  for (const c of DEFAULT_MOCK_CHROOTS) {
    if (existing.has(c.name)) continue;
    await store.putMockChroot(mockChroot(c.name, c.active ?? true, c.eol ?? false, c.comment ?? ''));
    added++;
  }
  return added;
}
