import { describe, expect, it } from 'vitest';
import { mergeRequests, PublishRequest, repositoryKey } from '../../functions/publish/publish-request.js';

const req = (over: Partial<PublishRequest> = {}): PublishRequest =>
  PublishRequest.parse({ owner: 'alice', dirname: 'proj', chroot: 'fedora-41-x86_64', ...over });

describe('mergeRequests', () => {
  it('unions adds and deletes, ORs full and comps', () => {
    const m = mergeRequests([
      req({ adds: ['00000002-b', '00000001-a'] }),
      req({ adds: ['00000001-a'], deletes: ['00000000-old'] }),
      req({ full: true, comps: true }),
    ]);
    expect(m).toEqual({
      owner: 'alice', dirname: 'proj', chroot: 'fedora-41-x86_64',
      adds: ['00000001-a', '00000002-b'], deletes: ['00000000-old'], full: true, devel: false, comps: true,
    });
  });

  it('a subdir both added and deleted is deleted', () => {
    const m = mergeRequests([req({ adds: ['00000001-a'] }), req({ deletes: ['00000001-a'] })]);
    expect(m.adds).toEqual([]);
    expect(m.deletes).toEqual(['00000001-a']);
    expect(m.full).toBe(false);
    expect(m).not.toHaveProperty('comps');
  });

  it('refuses to merge different repositories (devel is a different repository)', () => {
    expect(() => mergeRequests([req(), req({ devel: true })])).toThrow(/cannot merge/);
    expect(() => mergeRequests([])).toThrow();
    expect(repositoryKey(req({ devel: true }))).toBe('alice/proj/fedora-41-x86_64/devel');
  });

  it('rejects path tricks in names', () => {
    expect(() => req({ adds: ['../../etc'] })).toThrow();
    expect(() => req({ deletes: ['a/b'] })).toThrow();
    expect(() => PublishRequest.parse({ owner: '..', dirname: 'p', chroot: 'fedora-41-x86_64' })).toThrow();
    expect(() => PublishRequest.parse({ owner: 'a', dirname: '..', chroot: 'fedora-41-x86_64' })).toThrow();
    expect(PublishRequest.parse({ owner: '@grp', dirname: 'p:pr:3', chroot: 'epel-9-x86_64' }).dirname).toBe('p:pr:3');
  });
});
