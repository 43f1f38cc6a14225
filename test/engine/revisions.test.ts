/**
 * RevisionAcceptance: does the revision an Application synced hold our step? From memory for the
 * heads this process saw, from one batched Git question otherwise, on a fake apps repo.
 */
import { RevisionAcceptance } from '../../src/engine/revisions.js';
import { recordingLogger, recordingQueue } from './fakes.js';

const sha = (c: string) => c.repeat(40);
const [A, B, C, D] = ['a', 'b', 'c', 'd'].map(sha) as [string, string, string, string];

/** A fake apps repo: the object id of `<rev>:<path>` specs from a table, undefined when absent. */
function setup(objects: Record<string, string> = {}, fail = false) {
  const asked: string[][] = [];
  const apps = {
    objectIds: async (specs: string[]) => {
      asked.push(specs);
      if (fail) throw new Error('git cat-file failed');
      return specs.map((spec) => objects[spec]);
    },
  };
  let head = '';
  const queue = recordingQueue();
  const log = recordingLogger();
  const revisions = new RevisionAcceptance({ apps, head: () => head, queue, logger: log.logger });
  return { revisions, asked, queue, log, setHead: (h: string) => (head = h) };
}

const FILE = 'environments/dev/apps/web.yaml';
const DIR = 'environments/dev/apps/web';

describe('RevisionAcceptance', () => {
  it.each([
    ['our last commit of the step', [A], A, A, true],
    ['a later head', [A, B], A, B, true],
    ['an earlier head', [A, B], B, A, false],
  ])('answers from memory: %s', async (_name, heads, ours, revision, expected) => {
    const { revisions, asked, setHead } = setup();
    setHead(sha('f'));
    for (const h of heads) revisions.noteHead(h);
    revisions.noteCommitted('dev', 'web', ours);
    expect(revisions.accepted('dev', 'web', revision)).toBe(expected);
    await revisions.idle();
    expect(asked).toEqual([]);
  });

  it.each([
    ['before the first read of the repo', '', A, false],
    ['not a commit id', A, 'HEAD', false],
    ['the head itself', A, A, true],
  ])('without asking Git: %s', async (_name, head, revision, expected) => {
    const { revisions, asked, setHead } = setup();
    setHead(head);
    expect(revisions.accepted('dev', 'web', revision)).toBe(expected);
    await revisions.idle();
    expect(asked).toEqual([]);
  });

  it.each([
    [
      'the same files',
      { [`${B}:${FILE}`]: 'f1', [`${A}:${FILE}`]: 'f1', [`${B}:${DIR}`]: 'd1', [`${A}:${DIR}`]: 'd1' },
      true,
    ],
    ['the same Application, no manifests', { [`${B}:${FILE}`]: 'f1', [`${A}:${FILE}`]: 'f1' }, true],
    ['another Application file', { [`${B}:${FILE}`]: 'f0', [`${A}:${FILE}`]: 'f1' }, false],
    [
      'other manifests',
      { [`${B}:${FILE}`]: 'f1', [`${A}:${FILE}`]: 'f1', [`${B}:${DIR}`]: 'd0', [`${A}:${DIR}`]: 'd1' },
      false,
    ],
    ['no file at our head', { [`${B}:${FILE}`]: 'f1' }, false],
  ])('asks Git about another revision, once: %s', async (_name, files, expected) => {
    // GIVEN a revision B this process never saw, and our head A
    const { revisions, asked, queue, setHead } = setup({ [`${B}:`]: 'tree', ...files });
    setHead(A);
    // WHEN asked THEN not yet; the question goes to Git in the background
    expect(revisions.accepted('dev', 'web', B)).toBe(false);
    await revisions.idle();
    expect(asked).toEqual([[`${B}:`, `${B}:${FILE}`, `${A}:${FILE}`, `${B}:${DIR}`, `${A}:${DIR}`]]);
    // THEN the environment is looked at again, and the answer is known without Git
    expect(queue.added).toEqual(['dev']);
    expect(revisions.accepted('dev', 'web', B)).toBe(expected);
    await revisions.idle();
    expect(asked).toHaveLength(1);
  });

  it('asks every question of a moment in one Git process', async () => {
    const { revisions, asked, setHead } = setup();
    setHead(A);
    revisions.accepted('dev', 'web', B);
    revisions.accepted('dev', 'db', C);
    revisions.accepted('dev', 'web', B);
    await revisions.idle();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toHaveLength(10);
  });

  it('leaves a revision Git does not have yet to the next poll', async () => {
    const { revisions, queue, setHead } = setup();
    setHead(A);
    revisions.accepted('dev', 'web', D);
    await revisions.idle();
    expect(queue.after).toEqual([['dev', 2_000]]);
    expect(queue.added).toEqual([]);
  });

  it('logs a failed lookup and looks again in 5 s', async () => {
    const { revisions, queue, log, setHead } = setup({}, true);
    setHead(A);
    revisions.accepted('dev', 'web', B);
    await revisions.idle();
    expect(log.messages()).toEqual(['git lookup of Application revisions failed']);
    expect(queue.after).toEqual([['dev', 5_000]]);
  });

  it('asks nothing once stopped', async () => {
    const { revisions, asked, setHead } = setup();
    setHead(A);
    revisions.accepted('dev', 'web', B);
    revisions.stop();
    await revisions.idle();
    expect(asked).toEqual([]);
  });
});
