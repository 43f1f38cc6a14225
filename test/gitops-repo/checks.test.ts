/**
 * The port's argument checks (checks.ts) and GitRepo's option checks (options.ts), without git:
 * what is refused, and the JSON pointer of each problem.
 */
import { InputError } from '../../src/core/index.js';
import {
  checkAncestry,
  checkChange,
  checkLogLimit,
  checkObjectSpecs,
  checkPrefix,
  splitObjectSpec,
} from '../../src/gitops/checks.js';
import { gitRepoSettings, type GitRepoOptions } from '../../src/gitops/options.js';
import type { FileChange } from '../../src/gitops/types.js';

const SHA1 = 'a'.repeat(40);
const SHA256 = 'b'.repeat(64);

/** The problem pointers of the InputError `run` throws (fails when it throws something else or nothing). */
function pointers(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('INVALID_INPUT');
    return (error as InputError).problems.map((problem) => problem.path);
  }
  throw new Error('no InputError thrown');
}

describe('checkChange', () => {
  const write = (...paths: string[]): FileChange => ({
    write: paths.map((path) => ({ path, content: 'x' })),
    remove: [],
    message: 'm',
  });
  it.each<[string, FileChange, string[]]>([
    ['an absolute path', write('/etc/passwd'), ['/write/0/path']],
    ['a parent segment', write('a/../../x'), ['/write/0/path']],
    ['a .git path, in any case', write('a/.GIT/config'), ['/write/0/path']],
    ['a path written twice', write('a', 'a'), ['/write/1/path']],
    ['a file written under another written file', write('a', 'a/b'), ['/write/1/path']],
    ['a removal escaping the repo', { write: [], remove: ['../x/'], message: 'm' }, ['/remove/0']],
    [
      'an empty message and two bad paths at once',
      { ...write('', 'ok', 'b\\c'), message: ' ' },
      ['/message', '/write/0/path', '/write/2/path'],
    ],
  ])('refuses %s, reporting every problem', (_case, change, expected) => {
    expect(pointers(() => checkChange(change))).toEqual(expected);
  });

  it('accepts a change set of plain paths, a directory removal and a mustNotExist', () => {
    expect(() =>
      checkChange({
        write: [{ path: 'environments/dev/environment.yaml', content: 'x' }],
        remove: ['environments/old/', 'notes.txt'],
        mustNotExist: ['environments/dev/environment.yaml'],
        message: 'create dev',
      }),
    ).not.toThrow();
  });
});

describe('checkPrefix', () => {
  it.each([
    ['', ''],
    ['environments/', 'environments'],
    ['environments/dev/environment.yaml', 'environments/dev/environment.yaml'],
  ])('takes %j as the pathspec %j', (prefix, expected) => {
    expect(checkPrefix(prefix)).toBe(expected);
  });

  it.each([['../x'], ['/abs'], ['.git'], ['a//b']])('refuses %j at /prefix', (prefix) => {
    expect(pointers(() => checkPrefix(prefix))).toEqual(['/prefix']);
  });
});

describe('checkLogLimit', () => {
  it.each([[0], [-1], [1.5], [Number.NaN]])('refuses %p at /limit', (limit) => {
    expect(pointers(() => checkLogLimit(limit))).toEqual(['/limit']);
  });
  it.each([[undefined], [1], [500]])('accepts %p', (limit) => {
    expect(() => checkLogLimit(limit)).not.toThrow();
  });
});

describe('checkObjectSpecs', () => {
  it('accepts <full sha>:<path> of either object format, the root and a directory', () => {
    expect(() => checkObjectSpecs([`${SHA1}:`, `${SHA1}:a/b.yaml`, `${SHA256}:a/`])).not.toThrow();
  });
  it('refuses a ref name, a short sha, a spec without a colon and a path escaping the repo, each by index', () => {
    expect(
      pointers(() => checkObjectSpecs(['main:x', 'abc:x', `${SHA1}:ok`, 'no colon', `${SHA1}:../x`])),
    ).toEqual(['/specs/0', '/specs/1', '/specs/3', '/specs/4']);
  });
  it.each([
    [`${SHA1}:`, { commit: SHA1, path: '', directory: false }],
    [`${SHA1}:a/b`, { commit: SHA1, path: 'a/b', directory: false }],
    [`${SHA1}:a/`, { commit: SHA1, path: 'a', directory: true }],
  ])('splits %s', (spec, expected) => {
    expect(splitObjectSpec(spec)).toEqual(expected);
  });
});

describe('checkAncestry', () => {
  it.each<[string, string, string[]]>([
    ['main', SHA1, ['/ancestor']],
    [SHA1, 'HEAD~1', ['/descendant']],
    ['x', 'y', ['/ancestor', '/descendant']],
  ])('refuses %s..%s', (ancestor, descendant, expected) => {
    expect(pointers(() => checkAncestry(ancestor, descendant))).toEqual(expected);
  });
  it('accepts two full shas', () => {
    expect(() => checkAncestry(SHA1, SHA256)).not.toThrow();
  });
});

describe('gitRepoSettings', () => {
  const valid: GitRepoOptions = { name: 'platform', url: '/srv/platform.git', workdir: 'work/platform' };

  it('fills in the defaults and finds the local directory of a path or file:// remote', () => {
    const settings = gitRepoSettings(valid);
    expect(settings).toMatchObject({
      branch: 'main',
      author: { name: 'envcat', email: 'envcat@localhost' },
      retry: { attempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 },
      timeoutMs: 120_000,
      localWrites: 'direct',
      localPath: '/srv/platform.git',
    });
    expect(settings.workdir).toMatch(/^\/.*\/work\/platform$/);
    expect(gitRepoSettings({ ...valid, url: 'file:///srv/apps.git' }).localPath).toBe('/srv/apps.git');
    expect(gitRepoSettings({ ...valid, url: 'https://example.test/org/repo.git' }).localPath).toBeUndefined();
  });

  it('reports every problem of the options at once', () => {
    const bad = {
      name: 'other',
      url: '/srv/platform.git',
      workdir: ' ',
      branch: '-x',
      author: { name: 'a <b>', email: '' },
      retry: { attempts: 0 },
      commandTimeoutMs: 0,
      localWrites: 'sometimes',
    } as unknown as GitRepoOptions;
    expect(pointers(() => gitRepoSettings(bad))).toEqual([
      '/name',
      '/branch',
      '/workdir',
      '/author/name',
      '/author/email',
      '/retry/attempts',
      '/commandTimeoutMs',
      '/localWrites',
    ]);
  });
});
