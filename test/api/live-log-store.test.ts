import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalResultsStore } from '../../functions/adapters/local-results-store.js';

/** The local store takes live-log chunks in place (the results mount serves the file as it grows). */
describe('live log chunks on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'copr-livelog-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const store = new LocalResultsStore(root, 'http://127.0.0.1:1');
  const key = 'alice/p/fedora-44-x86_64/00000001-hello/builder-live.log';
  const text = () => readFileSync(join(root, key), 'utf8');

  it('appends at the offset, takes a resent chunk once, and refuses a gap', async () => {
    expect(await store.writeLiveLogChunk(key, 0, 0, Buffer.from('one\n'))).toBe('stored');
    expect(await store.writeLiveLogChunk(key, 0, 4, Buffer.from('two\n'))).toBe('stored');
    expect(await store.writeLiveLogChunk(key, 0, 4, Buffer.from('two\n'))).toBe('stored');
    expect(text()).toBe('one\ntwo\n');
    expect(await store.writeLiveLogChunk(key, 0, 20, Buffer.from('later\n'))).toBe('gap');
    expect(text()).toBe('one\ntwo\n');
  });

  it('starts over for a requeued attempt, and the complete upload replaces the chunks', async () => {
    expect(await store.writeLiveLogChunk(key, 1, 0, Buffer.from('again\n'))).toBe('stored');
    expect(text()).toBe('again\n');
    await store.put(key, 'again\nBuild succeeded\n');
    await store.dropLiveLogChunks(key);
    expect(text()).toBe('again\nBuild succeeded\n');
    expect(await store.list('alice/p/fedora-44-x86_64/00000001-hello/')).toEqual([key]);
  });
});
