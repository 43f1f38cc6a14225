/**
 * StepClocks: when a step's attempt began, from Git (the commit date of its files) and the
 * request's `envcat.io/retry-at`, with a fake repo that counts its lookups.
 */
import { pino } from 'pino';
import type { ResolvedEnvironment, Step } from '../../src/core/index.js';
import type { CommitInfo, GitOpsRepo } from '../../src/gitops/types.js';
import { StepClocks } from '../../src/engine/step-clock.js';
import { planStep } from './fakes.js';

const COMMITTED = Date.parse('2026-03-01T10:00:00Z');
const NOW = Date.parse('2026-03-01T10:05:00Z');

/** A sha per path, so a test can tell which path's last commit was taken. */
const shaOf = (path: string) => (path.endsWith('.yaml') ? 'a' : 'b').repeat(40);

function fakeRepo(dates: Record<string, string>): GitOpsRepo & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    log: async (path: string): Promise<CommitInfo[]> => {
      asked.push(path);
      const date = dates[path];
      return date ? [{ sha: shaOf(path), message: 'm', author: 'x', date }] : [];
    },
  } as unknown as GitOpsRepo & { asked: string[] };
}

const env = (annotations: Record<string, string> = {}) =>
  ({ name: 'dev', annotations, timeouts: { infra: 1800, apps: 600 } }) as unknown as ResolvedEnvironment;
const step = (part: 'infra' | 'apps'): Step => planStep('db', part);

function setup(dates: Record<string, string>) {
  const platform = fakeRepo(dates);
  const apps = fakeRepo(dates);
  const known: string[] = [];
  const clocks = new StepClocks({
    platform,
    apps,
    now: () => NOW,
    graceMs: 60_000,
    onKnown: (name) => known.push(name),
    logger: pino({ level: 'silent' }),
  });
  return { clocks, platform, apps, known };
}

describe('StepClocks', () => {
  it('looks the commit date up once per version of the step files, and says when it knows', async () => {
    // GIVEN an infra step committed at COMMITTED
    const { clocks, platform, known } = setup({
      'environments/dev/infra/db.yaml': '2026-03-01T10:00:00+00:00',
    });
    // WHEN asked before the lookup returns THEN no since yet, and the limits of the part
    expect(clocks.clock(env(), step('infra'), 'v1')).toEqual({
      now: NOW,
      timeoutMs: 1_800_000,
      graceMs: 60_000,
    });
    await clocks.idle();
    // THEN once known, since is the commit date, without another lookup for the same version
    expect(clocks.clock(env(), step('infra'), 'v1').since).toBe(COMMITTED);
    expect(platform.asked).toEqual(['environments/dev/infra/db.yaml']);
    expect(known).toEqual(['dev']);
    // WHEN the files change THEN it looks again
    clocks.clock(env(), step('infra'), 'v2');
    await clocks.idle();
    expect(platform.asked).toHaveLength(2);
  });

  it('takes the later of the commit (files and manifests directory) and the retry', async () => {
    const { clocks, apps } = setup({
      'environments/dev/apps/db.yaml': '2026-03-01T10:00:00+00:00',
      'environments/dev/apps/db': '2026-03-01T10:01:00+00:00',
    });
    clocks.clock(env(), step('apps'), 'v1');
    await clocks.idle();
    expect(apps.asked.sort()).toEqual(['environments/dev/apps/db', 'environments/dev/apps/db.yaml']);
    expect(clocks.clock(env(), step('apps'), 'v1')).toMatchObject({
      since: COMMITTED + 60_000,
      timeoutMs: 600_000,
    });
    const retried = env({ 'envcat.io/retry-at': '2026-03-01T10:03:00.000Z' });
    expect(clocks.clock(retried, step('apps'), 'v1').since).toBe(COMMITTED + 180_000);
  });

  it('counts from a retry while the new commit date is being looked up, and from a commit it made itself', async () => {
    const { clocks, platform } = setup({ 'environments/dev/infra/db.yaml': '2026-03-01T10:00:00+00:00' });
    clocks.clock(env(), step('infra'), 'v1');
    await clocks.idle();
    // GIVEN a retry after the known commit, and files that changed (a lookup under way)
    const retried = env({ 'envcat.io/retry-at': '2026-03-01T10:04:00.000Z' });
    expect(clocks.clock(retried, step('infra'), 'v2').since).toBe(Date.parse('2026-03-01T10:04:00Z'));
    await clocks.idle();
    // WHEN this process commits a version itself THEN no lookup for it
    clocks.noteCommitted('dev', step('infra'), { fileVersion: 'v3', at: NOW, sha: 'c'.repeat(40) });
    expect(clocks.clock(env(), step('infra'), 'v3').since).toBe(NOW);
    expect(clocks.commitOf(env(), step('infra'), 'v3')).toBe('c'.repeat(40));
    expect(platform.asked).toHaveLength(2);
  });

  it('names the last commit of the step files (the newer of file and manifests directory), once a clock looked it up', async () => {
    // GIVEN an apps step whose manifests directory changed after its Application file
    const { clocks, apps } = setup({
      'environments/dev/apps/db.yaml': '2026-03-01T10:00:00+00:00',
      'environments/dev/apps/db': '2026-03-01T10:01:00+00:00',
    });
    // WHEN asked for the commit alone THEN nothing, and Git is not asked (a Ready step after a restart)
    expect(clocks.commitOf(env(), step('apps'), 'v1')).toBeUndefined();
    await clocks.idle();
    expect(apps.asked).toHaveLength(0);
    // WHEN the clock of a converging step looked it up THEN the directory's commit
    clocks.clock(env(), step('apps'), 'v1');
    await clocks.idle();
    expect(clocks.commitOf(env(), step('apps'), 'v1')).toBe(shaOf('environments/dev/apps/db'));
    expect(apps.asked).toHaveLength(2);
  });
});
