/** The body of PATCH /api/v1/environments/{name}: a merge patch of spec.ttl only (core parseTtlPatch). */
import { parseTtlPatch } from '../../../src/core/index.js';

describe('parseTtlPatch', () => {
  it.each([
    ['a ttl', { spec: { ttl: '48h' } }, { ttl: '48h' }],
    ['null removes it', { spec: { ttl: null } }, { ttl: null }],
    [
      'with the resourceVersion read',
      { metadata: { resourceVersion: 'abc' }, spec: { ttl: '1d' } },
      { ttl: '1d', resourceVersion: 'abc' },
    ],
  ])('%s', (_name, body, expected) => {
    expect(parseTtlPatch(body)).toEqual(expected);
  });

  it.each([
    ['not an object', '48h', [''].map((path) => ({ path }))],
    ['no spec', { ttl: '48h' }, [{ path: '/ttl' }, { path: '/spec' }]],
    ['no ttl', { spec: {} }, [{ path: '/spec/ttl' }]],
    ['a number', { spec: { ttl: 48 } }, [{ path: '/spec/ttl' }]],
    [
      'other fields, each named',
      { spec: { ttl: '1h', owner: 'x', 'a/b': 1 }, metadata: { labels: {} }, status: {} },
      [{ path: '/metadata/labels' }, { path: '/status' }, { path: '/spec/owner' }, { path: '/spec/a~1b' }],
    ],
    [
      'a resourceVersion that is not a string',
      { metadata: { resourceVersion: 3 }, spec: { ttl: '1h' } },
      [{ path: '/metadata/resourceVersion' }],
    ],
  ])('%s is refused, naming each field', (_name, body, paths) => {
    const result = parseTtlPatch(body);
    expect('problems' in result && result.problems.map((p) => ({ path: p.path }))).toEqual(paths);
  });
});
