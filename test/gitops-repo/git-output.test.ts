/**
 * The text GitRepo exchanges with git, without git: the parsers of git-output.ts (fed answers in
 * git's exact format) and the fast-import text of a commit.
 */
import { commitCommand, madeCommit } from '../../src/gitops/fast-import.js';
import { parseLog, parseRemoteHead, pushRejection } from '../../src/gitops/git-output.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('parseLog (log -z --format=%H%n%aI%n%an <%ae>%n%B)', () => {
  it('keeps multi-line messages whole, without trailing blank lines', () => {
    const output =
      `${A}\n2024-05-01T10:00:00+02:00\nenvcat <envcat@localhost>\nsubject\n\nbody 1\nbody 2\n\n\0` +
      `\n${B}\n2024-05-01T09:00:00+02:00\nOther <o@x.test>\nfirst\n\n\0`;
    expect(parseLog(output)).toEqual([
      {
        sha: A,
        date: '2024-05-01T10:00:00+02:00',
        author: 'envcat <envcat@localhost>',
        message: 'subject\n\nbody 1\nbody 2',
      },
      { sha: B, date: '2024-05-01T09:00:00+02:00', author: 'Other <o@x.test>', message: 'first' },
    ]);
  });
  it('is empty when no commit touched the path', () => {
    expect(parseLog('')).toEqual([]);
  });
});

describe('madeCommit (the commit commitCommand writes, as log lists it)', () => {
  it.each<[string, number, string, string]>([
    ['UTC', 0, '+0000', '2024-12-31T23:59:59+00:00'],
    ['east of it', 330, '+0530', '2025-01-01T05:29:59+05:30'],
    ['west of it', -480, '-0800', '2024-12-31T15:59:59-08:00'],
    ['half an hour west', -210, '-0330', '2024-12-31T20:29:59-03:30'],
  ])('writes the date %s as git does and gives it as %%aI prints it', (_case, offsetMinutes, zone, date) => {
    const when = { seconds: 1735689599, offsetMinutes };
    const author = { name: 'envcat bot', email: 'bot@envcat.test' };
    expect(
      commitCommand({ ref: 'refs/heads/main', author, message: 'm', parent: '', when, files: [] }),
    ).toContain(`author envcat bot <bot@envcat.test> 1735689599 ${zone}\n`);
    expect(madeCommit({ sha: A, author, message: 'subject\n\nbody\n\n', when })).toEqual({
      sha: A,
      date,
      author: 'envcat bot <bot@envcat.test>',
      message: 'subject\n\nbody',
    });
  });
});

describe('parseRemoteHead (ls-remote)', () => {
  it.each<[string, string, string | undefined]>([
    [`${A}\trefs/heads/main\n`, 'main', A],
    [`${B}\trefs/heads/release/main\n${A}\trefs/heads/main\n`, 'main', A],
    [`${B}\trefs/heads/other\n`, 'main', undefined],
    ['', 'main', undefined],
  ])('finds the exact branch in %j', (output, branch, expected) => {
    expect(parseRemoteHead(output, branch)).toBe(expected);
  });
});

describe('pushRejection (push --porcelain)', () => {
  it.each<[string, string, string | undefined]>([
    [
      'a rejected ref: the reason',
      `To /srv/x.git\n!\t${A}:refs/heads/main\t[rejected] (fetch first)\nDone\n`,
      '[rejected] (fetch first)',
    ],
    [
      'a hook that declined',
      `To /srv/x.git\n!\t${A}:refs/heads/main\t[remote rejected] (pre-receive hook declined)\nDone\n`,
      '[remote rejected] (pre-receive hook declined)',
    ],
    ['a ref that went through', `To /srv/x.git\n*\t${A}:refs/heads/main\t[new branch]\nDone\n`, undefined],
    ['no porcelain output at all (a network failure)', '', undefined],
  ])('%s', (_case, stdout, expected) => {
    expect(pushRejection(stdout)).toBe(expected);
  });
});

describe('commitCommand (fast-import)', () => {
  it('writes the commit on its parent with exact byte counts, quoted paths in order, deletions as D', () => {
    const text = commitCommand({
      ref: 'refs/heads/main',
      author: { name: 'envcat', email: 'envcat@localhost' },
      message: 'envcat: dev: wave 1 — café',
      parent: A,
      when: { seconds: 1735689599, offsetMinutes: 0 },
      files: [
        { path: 'z.yaml', content: 'z\n' },
        { path: 'gone.yaml', content: undefined },
        { path: 'a "quoted"\\path', content: 'é' },
      ],
    });
    expect(text).toBe(
      [
        'commit refs/heads/main',
        'mark :1',
        'author envcat <envcat@localhost> 1735689599 +0000',
        'committer envcat <envcat@localhost> 1735689599 +0000',
        'data 29',
        'envcat: dev: wave 1 — café',
        `from ${A}`,
        'M 100644 inline "a \\"quoted\\"\\\\path"',
        'data 2',
        'é',
        'D "gone.yaml"',
        'M 100644 inline "z.yaml"',
        'data 2',
        'z',
        '',
        '',
      ].join('\n'),
    );
  });
  it('has no parent for the first commit of a branch', () => {
    const text = commitCommand({
      ref: 'refs/envcat/commit',
      author: { name: 'a', email: 'b' },
      message: 'first',
      parent: '',
      when: { seconds: 7, offsetMinutes: 0 },
      files: [{ path: 'x', content: '' }],
    });
    expect(text).not.toContain('from ');
    expect(text).toBe(
      'commit refs/envcat/commit\nmark :1\nauthor a <b> 7 +0000\ncommitter a <b> 7 +0000\ndata 5\nfirst\nM 100644 inline "x"\ndata 0\n\n',
    );
  });
});
