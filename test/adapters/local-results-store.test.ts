import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalResultsStore } from '../../functions/adapters/local-results-store.js';

describe('LocalResultsStore.copy', () => {
  let root: string;
  let store: LocalResultsStore;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'results-copy-'));
    store = new LocalResultsStore(root, 'http://127.0.0.1:1');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('copies a file into a new dir, leaves no part file, and says false for a missing source', async () => {
    const bytes = Buffer.from([0xed, 0xab, 0xee, 0xdb, 0, 1, 2]);
    await store.put('alice/p/fedora-44-x86_64/00000001-x/x-1-1.noarch.rpm', bytes);
    expect(await store.copy('alice/p/fedora-44-x86_64/00000001-x/x-1-1.noarch.rpm', 'alice/p/fedora-44-aarch64/00000001-x/x-1-1.noarch.rpm')).toBe(true);
    expect(await readFile(join(root, 'alice/p/fedora-44-aarch64/00000001-x/x-1-1.noarch.rpm'))).toEqual(bytes);
    expect(await readdir(join(root, 'alice/p/fedora-44-aarch64/00000001-x'))).toEqual(['x-1-1.noarch.rpm']);
    // The source stays.
    expect(await store.get('alice/p/fedora-44-x86_64/00000001-x/x-1-1.noarch.rpm')).toEqual(bytes);
    expect(await store.copy('alice/p/nope.rpm', 'alice/p/elsewhere/nope.rpm')).toBe(false);
    expect((await readdir(join(root, 'alice/p'))).sort()).toEqual(['fedora-44-aarch64', 'fedora-44-x86_64']);
    await expect(store.copy('alice/p/fedora-44-x86_64/00000001-x/x-1-1.noarch.rpm', '../escape.rpm')).rejects.toThrow(/escapes/);
  });
});
