/** EnvironmentAges: creation times from the first commit of environment.yaml, and expiry, on a fake platform repo. */
import type { ResolvedEnvironment } from '../../src/core/index.js';
import type { CommitInfo } from '../../src/gitops/types.js';
import { EnvironmentAges } from '../../src/engine/ttl.js';
import { recordingLogger, recordingQueue } from './fakes.js';

const CREATED = '2026-03-01T10:00:00+00:00';
const T = Date.parse(CREATED);

function setup(history: Record<string, string[]>, options: { now?: number; fail?: boolean } = {}) {
  const asked: string[] = [];
  const platform = {
    log: async (path: string): Promise<CommitInfo[]> => {
      asked.push(path);
      if (options.fail) throw new Error('git log failed');
      // Newest first, as git log has them.
      return (history[path] ?? []).map((date) => ({ sha: 'a'.repeat(40), message: 'm', author: 'x', date }));
    },
  };
  const queue = recordingQueue();
  const log = recordingLogger();
  const ages = new EnvironmentAges({ platform, now: () => options.now ?? T, queue, logger: log.logger });
  return { ages, asked, queue, log };
}

const FILE = 'environments/dev/environment.yaml';
const env = (ttlSeconds?: number) => ({ name: 'dev', ttlSeconds }) as ResolvedEnvironment;

describe('EnvironmentAges', () => {
  it('takes the date of the first commit of the file, looked up once, and queues the environment', async () => {
    const { ages, asked, queue } = setup({ [FILE]: ['2026-03-02T09:00:00+00:00', CREATED] });
    expect(ages.createdAt('dev', true)).toBeUndefined();
    expect(ages.createdAt('dev', true)).toBeUndefined();
    await ages.idle();
    expect(ages.createdAt('dev', true)).toBe(T);
    expect(asked).toEqual([FILE]);
    expect(queue.added).toEqual(['dev']);
  });

  it('takes the date of the commit this process created the file with, without a lookup', async () => {
    // GIVEN a history that would say otherwise (the file of an older environment of that name)
    const { ages, asked, queue } = setup({
      [FILE]: ['2026-03-02T09:00:00+00:00', '2026-01-01T00:00:00+00:00'],
    });
    // WHEN the API notes the commit that created it
    ages.noteCreated('dev', T);
    // THEN that is its creation time, and Git is not asked
    expect(ages.createdAt('dev', true)).toBe(T);
    expect(ages.expired('dev', env(3600))).toBe(false);
    await ages.idle();
    expect(asked).toEqual([]);
    expect(queue.added).toEqual([]);
  });

  it('does not look up an environment whose file is not in Git', async () => {
    const { ages, asked } = setup({ [FILE]: [CREATED] });
    expect(ages.createdAt('dev', false)).toBeUndefined();
    await ages.idle();
    expect(asked).toEqual([]);
  });

  it.each([
    ['no ttl: never, and no lookup', undefined, T + 1e12, false, [], 0],
    [
      'an hour, half gone: not yet, looked at again a second after it ends',
      3600,
      T + 1_800_000,
      false,
      [['dev', 1_801_000]],
      1,
    ],
    ['an hour, gone', 3600, T + 3_600_000, true, [], 1],
  ] as const)('ttl %s', async (_name, ttl, now, expired, after, lookups) => {
    const { ages, asked, queue } = setup({ [FILE]: [CREATED] }, { now });
    ages.expired('dev', env(ttl));
    await ages.idle();
    expect(ages.expired('dev', env(ttl))).toBe(expired);
    expect(queue.after).toEqual(after);
    expect(asked).toHaveLength(lookups);
  });

  it('is not expired while its creation is unknown', async () => {
    const { ages } = setup({});
    expect(ages.expired('dev', env(1))).toBe(false);
    await ages.idle();
    expect(ages.expired('dev', env(1))).toBe(false);
  });

  it('logs a failed lookup, and looks up again when asked again', async () => {
    const { ages, asked, log } = setup({}, { fail: true });
    ages.createdAt('dev', true);
    await ages.idle();
    expect(log.lines).toEqual([expect.objectContaining({ lookup: 'created:dev', msg: 'git lookup failed' })]);
    ages.createdAt('dev', true);
    await ages.idle();
    expect(asked).toHaveLength(2);
  });

  it('forgets a deleted environment', async () => {
    const { ages, asked } = setup({ [FILE]: [CREATED] });
    ages.createdAt('dev', true);
    await ages.idle();
    ages.forget('dev');
    expect(ages.createdAt('dev', false)).toBeUndefined();
    expect(asked).toHaveLength(1);
  });
});
