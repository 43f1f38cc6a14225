import { fileChanges, fileDiff, lineDiff, versionDiff } from '../../src/ui/logic/version-diff.js';
import type { CatalogVersion, EntryFileList } from '../../src/api/contract.js';

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
  it('shows a changed default', () => {
    // GIVEN two versions whose size default differs
    const from = version({});
    const to = version({
      version: '1.1.0',
      digest: 'sha256:b',
      parameters: { properties: { size: { default: 50, type: 'integer' } }, type: 'object' },
    });
    // WHEN diffed
    const diff = versionDiff(from, to);
    // THEN only the default's line changes (key order does not matter)
    const changed = diff.schema.split('\n').filter((l) => /^[+-][^+-]/.test(l));
    expect(changed).toEqual(['-        "default": 20,', '+        "default": 50,']);
  });

  it('says nothing changed for the same content', () => {
    const diff = versionDiff(version({}), version({ version: '1.0.1' }));
    expect(diff).toEqual({ schema: '' });
  });
});

const files = (version: string, items: Array<[string, string]>): EntryFileList => ({
  name: 'e',
  version,
  digest: `sha256:${version}`,
  items: items.map(([path, sha256]) => ({ path, size: 1, sha256 })),
});

describe('fileChanges', () => {
  it('names each file added, removed or changed (by sha256), by path; the same ones not at all', () => {
    // GIVEN two versions' file lists
    const from = files('1.0.0', [
      ['catalog.yaml', 'sha256:1'],
      ['manifests/a.yaml', 'sha256:a'],
      ['manifests/gone.yaml', 'sha256:g'],
    ]);
    const to = files('1.1.0', [
      ['manifests/new.yaml', 'sha256:n'],
      ['catalog.yaml', 'sha256:2'],
      ['manifests/a.yaml', 'sha256:a'],
    ]);
    // WHEN compared THEN the differences, sorted by path
    expect(fileChanges(from, to)).toEqual([
      { path: 'catalog.yaml', change: 'changed' },
      { path: 'manifests/gone.yaml', change: 'removed' },
      { path: 'manifests/new.yaml', change: 'added' },
    ]);
  });
});

describe('fileDiff', () => {
  it.each([
    {
      name: 'a changed line, with three lines of context, sides named by version',
      from: '1\n2\n3\n4\n5\n6\n7\n8\n',
      to: '1\n2\n3\n4\nfive\n6\n7\n8\n',
      expected: '--- 1.0.0/f.yaml\n+++ 1.1.0/f.yaml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n',
    },
    {
      name: 'an added file, against nothing',
      from: undefined,
      to: 'a: 1\n',
      expected: '--- /dev/null\n+++ 1.1.0/f.yaml\n@@ -0,0 +1,1 @@\n+a: 1\n',
    },
    {
      name: 'a removed file, against nothing',
      from: 'a: 1\n',
      to: undefined,
      expected: '--- 1.0.0/f.yaml\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a: 1\n',
    },
  ])('$name', ({ from, to, expected }) => {
    expect(fileDiff({ path: 'f.yaml', from, to, fromLabel: '1.0.0', toLabel: '1.1.0' })).toBe(expected);
  });
});
