/** When and whom the engine asks to look at Git now (core status/refresh.ts). */
import {
  REFRESH_AGAIN_MS,
  refreshAgainDue,
  refreshTargets,
  waitsForArgo,
  type StepObservation,
} from '../../../src/core/index.js';

const app = (name: string, labels: Record<string, string>) => ({ metadata: { name, labels } });
const applications = [
  app('dev-web', { 'envcat.io/environment': 'dev', 'envcat.io/instance': 'web' }),
  app('dev-db', { 'envcat.io/environment': 'dev', 'envcat.io/instance': 'db' }),
  app('prod-web', { 'envcat.io/environment': 'prod', 'envcat.io/instance': 'web' }),
  // The environment's own folder Application carries no instance label.
  app('envcat-apps-dev', { 'envcat.io/environment': 'dev' }),
];

describe('refreshTargets', () => {
  it.each([
    ['platform', ['ApplicationSet/envcat-platform', 'Application/envcat-platform-dev']],
    [
      'apps',
      [
        'ApplicationSet/envcat-apps',
        'Application/envcat-apps-dev',
        'Application/dev-web',
        'Application/dev-db',
      ],
    ],
  ] as const)('after a commit to %s asks %j', (repo, expected) => {
    // GIVEN the cached Applications of two environments WHEN dev commits to the repo
    const targets = refreshTargets({
      repo,
      environment: 'dev',
      applicationSet: `envcat-${repo}`,
      parentApplication: `envcat-${repo}-dev`,
      applications,
    });
    // THEN the repo's ApplicationSet, dev's folder Application and (apps) dev's instance Applications
    expect(targets.map((t) => `${t.kind}/${t.name}`)).toEqual(expected);
  });

  it('marks an ApplicationSet as Argo CD webhook does, an Application with a normal refresh', () => {
    const [appset, parent] = refreshTargets({
      repo: 'platform',
      environment: 'dev',
      applicationSet: 'set',
      parentApplication: 'parent',
      applications: [],
    });
    expect(appset).toEqual({
      kind: 'ApplicationSet',
      name: 'set',
      annotation: 'argocd.argoproj.io/application-set-refresh',
      value: 'true',
    });
    expect(parent).toEqual({
      kind: 'Application',
      name: 'parent',
      annotation: 'argocd.argoproj.io/refresh',
      value: 'normal',
    });
  });
});

const observed = (part: 'infra' | 'apps', committed: boolean, reason: string): StepObservation => ({
  step: { id: `x/${part}`, instance: 'x', part, dependsOn: [], phase: part === 'infra' ? 1 : 2, wave: 1 },
  committed,
  state: { phase: 'Progressing', reason, message: '' },
});

describe('waitsForArgo', () => {
  it.each([
    ['not applied yet', observed('infra', true, 'NotApplied'), 'infra', true],
    ['at an older revision', observed('apps', true, 'OutdatedRevision'), 'apps', true],
    ['at an older source', observed('apps', true, 'OutdatedSource'), 'apps', true],
    ['converging otherwise', observed('infra', true, 'Creating'), 'infra', false],
    ['not committed', observed('infra', false, 'NotApplied'), 'infra', false],
    ['of the other part', observed('apps', true, 'NotApplied'), 'infra', false],
  ] as const)('a step %s: %s', (_name, step, part, expected) => {
    expect(waitsForArgo([step], part)).toBe(expected);
  });
});

describe('refreshAgainDue', () => {
  const T = 1_000_000;
  it.each([
    ['the wait just began', { now: T, waitingSince: T, askedAt: undefined }, false],
    [
      'waited long enough, never asked',
      { now: T + REFRESH_AGAIN_MS, waitingSince: T, askedAt: undefined },
      true,
    ],
    ['waited long enough, asked long ago', { now: T + REFRESH_AGAIN_MS, waitingSince: T, askedAt: T }, true],
    [
      'waited long enough, asked just now',
      { now: T + REFRESH_AGAIN_MS, waitingSince: T, askedAt: T + 5_000 },
      false,
    ],
    ['not long enough', { now: T + REFRESH_AGAIN_MS - 1, waitingSince: T, askedAt: undefined }, false],
    ['waited the interval given', { now: T + 500, waitingSince: T, askedAt: T, afterMs: 500 }, true],
    ['not the interval given', { now: T + 499, waitingSince: T, askedAt: undefined, afterMs: 500 }, false],
    [
      'the interval given, asked just now',
      { now: T + 500, waitingSince: T, askedAt: T + 100, afterMs: 500 },
      false,
    ],
  ])('%s: %s', (_name, args, expected) => {
    expect(refreshAgainDue(args)).toBe(expected);
  });
});
