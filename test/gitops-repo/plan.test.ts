/**
 * plan.ts without git: what a batch of change sets does to a tree, which change sets are refused
 * and with which error, and what each caller is told.
 */
import { ConflictError } from '../../src/core/index.js';
import {
  batchMessage,
  blobId,
  outcomesOf,
  planChanges,
  planMessage,
  treeOf,
  type Tree,
} from '../../src/gitops/plan.js';
import type { FileChange } from '../../src/gitops/types.js';

const HEAD = 'a'.repeat(40);

/** The base of every case: two files of one environment, a plain file and a symbolic link. */
function base(): Tree {
  return treeOf(HEAD, [
    ['environments/dev/environment.yaml', { mode: '100644', id: blobId('dev\n', 'sha1') }],
    ['environments/dev/apps/web.yaml', { mode: '100644', id: blobId('web\n', 'sha1') }],
    ['environments/dev2/environment.yaml', { mode: '100644', id: blobId('dev2\n', 'sha1') }],
    ['notes.txt', { mode: '100644', id: blobId('notes\n', 'sha1') }],
    ['link', { mode: '120000', id: blobId('/etc', 'sha1') }],
  ]);
}

const change = (
  write: Record<string, string>,
  remove: string[] = [],
  mustNotExist?: string[],
  message = 'update',
): FileChange => ({
  write: Object.entries(write).map(([path, content]) => ({ path, content })),
  remove,
  message,
  ...(mustNotExist ? { mustNotExist } : {}),
});

const plan = (changes: FileChange[], tree = base()) =>
  planChanges({ changes, base: tree, repo: 'platform', objectFormat: 'sha1' });

describe('treeOf', () => {
  it('derives every directory that holds an entry', () => {
    expect([...base().directories].sort()).toEqual([
      'environments',
      'environments/dev',
      'environments/dev/apps',
      'environments/dev2',
    ]);
  });
});

describe('a change set that must not go on the tree is refused whole', () => {
  it.each<[string, FileChange, string, string]>([
    [
      'a mustNotExist file that exists',
      change({ 'environments/dev/environment.yaml': 'x' }, [], ['environments/dev/environment.yaml']),
      '/mustNotExist/0',
      'environments/dev/environment.yaml already exists in the platform repo',
    ],
    [
      'a mustNotExist directory that holds files',
      change({ 'environments/dev/x.yaml': 'x' }, [], ['environments/dev']),
      '/mustNotExist/0',
      'environments/dev already exists in the platform repo',
    ],
    [
      'the second mustNotExist path',
      change({ 'a.yaml': 'x' }, [], ['absent.yaml', 'notes.txt']),
      '/mustNotExist/1',
      'notes.txt already exists in the platform repo',
    ],
    [
      'a mustNotExist path the same change removes (checked before it applies)',
      change({}, ['notes.txt'], ['notes.txt']),
      '/mustNotExist/0',
      'notes.txt already exists in the platform repo',
    ],
    [
      'a mustMatch file whose content changed since it was read',
      {
        ...change({ 'environments/dev/environment.yaml': 'dev pinned\n' }),
        mustMatch: [{ path: 'environments/dev/environment.yaml', content: 'dev as read\n' }],
      },
      '/mustMatch/0',
      'environments/dev/environment.yaml in the platform repo changed since it was read',
    ],
    [
      'a mustMatch file that is gone',
      {
        ...change({ 'a.yaml': 'a' }),
        mustMatch: [
          { path: 'notes.txt', content: 'notes\n' },
          { path: 'absent.yaml', content: '' },
        ],
      },
      '/mustMatch/1',
      'absent.yaml in the platform repo changed since it was read',
    ],
    [
      'a file written over a directory',
      change({ 'environments/dev': 'x' }),
      '/write/0/path',
      "cannot write 'environments/dev' in the platform repo: it is a directory",
    ],
    [
      'a file written through a file',
      change({ 'a.yaml': 'a', 'notes.txt/x.yaml': 'x' }),
      '/write/1/path',
      "cannot change 'notes.txt/x.yaml' in the platform repo: 'notes.txt' is a file",
    ],
    [
      'a file written through a symbolic link',
      change({ 'link/dev/environment.yaml': 'x' }),
      '/write/0/path',
      "cannot change 'link/dev/environment.yaml' in the platform repo: 'link' is a symbolic link",
    ],
    [
      'a directory removed through a symbolic link',
      change({}, ['link/dev/']),
      '/remove/0',
      "cannot change 'link/dev' in the platform repo: 'link' is a symbolic link",
    ],
    [
      'a file removed through a file',
      change({}, ['a.yaml', 'notes.txt/x']),
      '/remove/1',
      "cannot change 'notes.txt/x' in the platform repo: 'notes.txt' is a file",
    ],
  ])('%s', (_case, refused, path, message) => {
    // GIVEN the base tree WHEN the change set is planned on it
    const result = plan([refused]);
    // THEN it is a ConflictError naming the field, and nothing changes
    expect(result.refused[0]).toBeInstanceOf(ConflictError);
    expect(result.refused[0]).toMatchObject({ code: 'CONFLICT', path, message });
    expect(result.changed.size).toBe(0);
    expect(result.entries).toEqual(base().entries);
    expect(result.effective).toEqual([false]);
  });
});

describe('a change set that goes on the tree', () => {
  it.each<[string, FileChange, Record<string, string | undefined>]>([
    ['writes a new file', change({ 'a/b.yaml': 'b' }), { 'a/b.yaml': 'b' }],
    ['overwrites a file', change({ 'notes.txt': 'new\n' }), { 'notes.txt': 'new\n' }],
    ['removes a file', change({}, ['notes.txt']), { 'notes.txt': undefined }],
    [
      "removes a whole directory (a path ending in '/'), not its look-alike sibling",
      change({}, ['environments/dev/']),
      { 'environments/dev/environment.yaml': undefined, 'environments/dev/apps/web.yaml': undefined },
    ],
    [
      'writes a file where it removes a directory',
      change({ 'environments/dev': 'now a file' }, ['environments/dev/']),
      {
        'environments/dev': 'now a file',
        'environments/dev/environment.yaml': undefined,
        'environments/dev/apps/web.yaml': undefined,
      },
    ],
    [
      'writes through a file it removes',
      change({ 'notes.txt/x.yaml': 'x' }, ['notes.txt']),
      { 'notes.txt': undefined, 'notes.txt/x.yaml': 'x' },
    ],
    [
      'replaces a directory it removes and writes into',
      change({ 'environments/dev/new.yaml': 'n' }, ['environments/dev/']),
      {
        'environments/dev/environment.yaml': undefined,
        'environments/dev/apps/web.yaml': undefined,
        'environments/dev/new.yaml': 'n',
      },
    ],
    [
      'with a mustNotExist path that is absent',
      change({ 'environments/qa/environment.yaml': 'qa' }, [], ['environments/qa/environment.yaml']),
      { 'environments/qa/environment.yaml': 'qa' },
    ],
    [
      'with a mustMatch file that holds what was read',
      {
        ...change({ 'environments/dev/environment.yaml': 'dev pinned\n' }),
        mustMatch: [{ path: 'environments/dev/environment.yaml', content: 'dev\n' }],
      },
      { 'environments/dev/environment.yaml': 'dev pinned\n' },
    ],
  ])('%s', (_case, accepted, expected) => {
    const before = base();
    const result = plan([accepted], before);
    expect(result.refused).toEqual([undefined]);
    expect([...result.changed].sort()).toEqual(Object.keys(expected).sort());
    for (const [path, content] of Object.entries(expected)) {
      expect(result.contents.get(path)).toBe(content);
      expect(result.entries.get(path)?.id).toBe(content === undefined ? undefined : blobId(content, 'sha1'));
    }
    expect(result.effective).toEqual([true]);
    // the base is left as it was
    expect(before.entries).toEqual(base().entries);
    expect(before.directories).toEqual(base().directories);
  });

  it.each<[string, FileChange]>([
    ['writes what is there', change({ 'notes.txt': 'notes\n' })],
    ['removes what is not there', change({}, ['absent.yaml', 'absent/'])],
    ['writes nothing and removes nothing', change({})],
  ])('changes nothing when it %s', (_case, noop) => {
    const result = plan([noop]);
    expect(result.refused).toEqual([undefined]);
    expect(result.changed.size).toBe(0);
    expect(result.effective).toEqual([false]);
  });

  it('computes SHA-256 blob ids for a SHA-256 repository', () => {
    const result = planChanges({
      changes: [change({ 'hello.txt': 'hello\n' })],
      base: treeOf('', []),
      repo: 'apps',
      objectFormat: 'sha256',
    });
    // `printf 'hello\n' | git hash-object --stdin` in a repository made with --object-format=sha256
    expect(result.entries.get('hello.txt')?.id).toBe(
      '2cf8d83d9ee29543b34a87727421fdecb7e3f3a183d337639025de576db9ebb4',
    );
  });
});

describe('a batch of change sets', () => {
  it.each<[string, FileChange[], Array<string | undefined>, boolean[], Record<string, string | undefined>]>([
    [
      'applies them in order: a later write of one file wins and is the one that changed it',
      [change({ 'x.yaml': 'first' }), change({ 'x.yaml': 'second' })],
      [undefined, undefined],
      [false, true],
      { 'x.yaml': 'second' },
    ],
    [
      'checks mustNotExist against the tree the earlier ones left: two creates of one path, one wins',
      [
        change({ 'environments/qa/environment.yaml': 'first' }, [], ['environments/qa/environment.yaml']),
        change({ 'environments/qa/environment.yaml': 'second' }, [], ['environments/qa/environment.yaml']),
      ],
      [undefined, '/mustNotExist/0'],
      [true, false],
      { 'environments/qa/environment.yaml': 'first' },
    ],
    [
      'checks mustNotExist against the tree the earlier ones left: a directory claimed twice',
      [
        change({ 'namespaces/shared/a': 'a' }, [], ['namespaces/shared']),
        change({ 'namespaces/shared/b': 'b' }, [], ['namespaces/shared']),
      ],
      [undefined, '/mustNotExist/0'],
      [true, false],
      { 'namespaces/shared/a': 'a' },
    ],
    [
      'checks mustMatch against the tree the earlier ones left: two rewrites of what was read, one wins',
      [
        {
          ...change({ 'environments/dev/environment.yaml': 'first\n' }),
          mustMatch: [{ path: 'environments/dev/environment.yaml', content: 'dev\n' }],
        },
        {
          ...change({ 'environments/dev/environment.yaml': 'second\n' }),
          mustMatch: [{ path: 'environments/dev/environment.yaml', content: 'dev\n' }],
        },
      ],
      [undefined, '/mustMatch/0'],
      [true, false],
      { 'environments/dev/environment.yaml': 'first\n' },
    ],
    [
      'lets a create pass once an earlier change set removed the path',
      [change({}, ['notes.txt']), change({ 'notes.txt': 'again' }, [], ['notes.txt'])],
      [undefined, undefined],
      [false, true],
      { 'notes.txt': 'again' },
    ],
    [
      'lets a file take the place of a directory an earlier change set emptied',
      [change({}, ['environments/dev/']), change({ 'environments/dev': 'file' })],
      [undefined, undefined],
      [true, true],
      {
        'environments/dev/environment.yaml': undefined,
        'environments/dev/apps/web.yaml': undefined,
        'environments/dev': 'file',
      },
    ],
    [
      'sees a file an earlier change set wrote: writing through it is refused',
      [change({ 'new.txt': 'n' }), change({ 'new.txt/x': 'x' })],
      [undefined, '/write/0/path'],
      [true, false],
      { 'new.txt': 'n' },
    ],
    [
      'leaves the tree as it was for the later ones when one is refused',
      [change({ 'environments/dev': 'over a directory' }), change({ 'environments/dev/more.yaml': 'm' })],
      ['/write/0/path', undefined],
      [false, true],
      { 'environments/dev/more.yaml': 'm' },
    ],
    [
      'owes nothing to a write that a later removal undid',
      [change({ 'tmp.yaml': 't' }), change({}, ['tmp.yaml'])],
      [undefined, undefined],
      [false, false],
      {},
    ],
  ])('%s', (_case, changes, refusedAt, effective, expected) => {
    const result = plan(changes);
    expect(result.refused.map((error) => error?.path)).toEqual(refusedAt);
    for (const error of result.refused) if (error) expect(error).toBeInstanceOf(ConflictError);
    expect(result.effective).toEqual(effective);
    expect([...result.changed].sort()).toEqual(Object.keys(expected).sort());
    for (const [path, content] of Object.entries(expected)) expect(result.contents.get(path)).toBe(content);
  });
});

describe('outcomesOf', () => {
  it('gives the refused their error and the others the commit, the base and whether they changed anything', () => {
    const result = plan([
      change({ 'x.yaml': 'x' }),
      change({ 'notes.txt': 'notes\n' }),
      change({}, [], ['notes.txt']),
    ]);
    const outcomes = outcomesOf({ plan: result, base: base(), sha: 'b'.repeat(40), attempts: 2 });
    expect(outcomes).toEqual([
      { result: { changed: true, sha: 'b'.repeat(40), attempts: 2, base: HEAD } },
      { result: { changed: false, sha: 'b'.repeat(40), attempts: 2, base: HEAD } },
      { error: result.refused[2] },
    ]);
  });
});

describe('commit messages', () => {
  it.each<[string, FileChange[], string]>([
    ['one change set: its message', [change({ a: '1' }, [], undefined, 'one')], 'one'],
    [
      'several: the first subject with a count, every message whole in the body',
      [
        change({ a: '1' }, [], undefined, 'envcat: a: wave 1\n\ndetails'),
        change({ b: '1' }, [], undefined, 'envcat: b: wave 1'),
      ],
      'envcat: a: wave 1 (and 1 more)\n\nenvcat: a: wave 1\n\ndetails\n\nenvcat: b: wave 1\n',
    ],
    [
      'only the change sets that changed something',
      [
        change({ 'notes.txt': 'notes\n' }, [], undefined, 'no-op'),
        change({ a: '1' }, [], undefined, 'made a'),
        change({}, ['notes.txt'], undefined, 'removed notes'),
      ],
      'made a (and 1 more)\n\nmade a\n\nremoved notes\n',
    ],
    [
      'all of them when none changed anything',
      [change({}, [], undefined, 'first no-op'), change({}, [], undefined, 'second no-op')],
      batchMessage([change({}, [], undefined, 'first no-op'), change({}, [], undefined, 'second no-op')]),
    ],
  ])('%s', (_case, changes, expected) => {
    expect(planMessage(plan(changes))).toBe(expected);
  });
});
