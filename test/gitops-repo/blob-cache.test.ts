/** The blob contents GitRepo keeps by id: the least recently used go first once over the limit. */
import { BlobCache } from '../../src/gitops/blob-cache.js';

describe('BlobCache', () => {
  it('drops the least recently used contents once over its limit, a read counting as a use', () => {
    // GIVEN a cache of 10 code units holding a (4) and b (4)
    const cache = new BlobCache(10);
    cache.set('a', 'aaaa');
    cache.set('b', 'bbbb');
    // WHEN a is read, then c (4) comes in
    expect(cache.get('a')).toBe('aaaa');
    cache.set('c', 'cccc');
    // THEN b, used least recently, is gone
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('aaaa');
    expect(cache.get('c')).toBe('cccc');
  });

  it('counts a content set twice once, and never keeps one larger than the limit', () => {
    const cache = new BlobCache(10);
    cache.set('a', 'aaaaa');
    cache.set('a', 'aaaaa');
    cache.set('b', 'bbbbb');
    expect(cache.get('a')).toBe('aaaaa');
    expect(cache.get('b')).toBe('bbbbb');
    cache.set('big', 'x'.repeat(11));
    expect(cache.get('big')).toBeUndefined();
    expect(cache.get('a')).toBe('aaaaa');
  });
});
