import { lineDiff, versionDiff } from '../../src/ui/logic/version-diff.js';
import type { CatalogVersion } from '../../src/api/contract.js';

const version = (overrides: Partial<CatalogVersion>): CatalogVersion => ({
  version: '1.0.0',
  digest: 'sha256:a',
  type: 'iac',
  parameters: { type: 'object', properties: { size: { type: 'integer', default: 20 } } },
  outputs: [],
  secretParameters: [],
  ...overrides,
});

describe('lineDiff', () => {
  it.each([
    { name: 'the same text: no diff', from: 'a\nb', to: 'a\nb', expected: '' },
    {
      name: 'a changed line: removed then added, in context',
      from: 'a\nb\nc',
      to: 'a\nB\nc',
      expected: '--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n',
    },
    {
      name: 'a line added at the end',
      from: 'a',
      to: 'a\nb',
      expected: '--- x\n+++ y\n@@ -1,1 +1,2 @@\n a\n+b\n',
    },
    {
      name: 'a line removed at the start',
      from: 'a\nb',
      to: 'b',
      expected: '--- x\n+++ y\n@@ -1,2 +1,1 @@\n-a\n b\n',
    },
  ])('$name', ({ from, to, expected }) => {
    expect(lineDiff({ from, to, fromLabel: 'x', toLabel: 'y' })).toBe(expected);
  });
});

describe('versionDiff', () => {
  it('shows a changed default, and the files as differing when the digest does', () => {
    // GIVEN two versions whose size default differs
    const from = version({});
    const to = version({
      version: '1.1.0',
      digest: 'sha256:b',
      parameters: { properties: { size: { default: 50, type: 'integer' } }, type: 'object' },
    });
    // WHEN diffed
    const diff = versionDiff(from, to);
    // THEN only the default's line changes (key order does not matter), and the files differ
    const changed = diff.schema.split('\n').filter((l) => /^[+-][^+-]/.test(l));
    expect(changed).toEqual(['-        "default": 20,', '+        "default": 50,']);
    expect(diff.filesDiffer).toBe(true);
  });

  it('says nothing changed for the same content', () => {
    const diff = versionDiff(version({}), version({ version: '1.0.1' }));
    expect(diff).toEqual({ schema: '', filesDiffer: false });
  });
});
