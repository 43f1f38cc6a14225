/**
 * The deletion decision (core nextDeletionAction): applications, then the infrastructure one wave
 * at a time from the last wave down (a database before the VPC it lives in), then Secrets, then
 * the environment's files. Without a valid plan, every infra file goes at once, and the status
 * message says so.
 */
import {
  nextDeletionAction,
  planSteps,
  type DeletionAction,
  type DeletionState,
  type Plan,
  type PlanInstance,
} from '../../../src/core/index.js';

function plan(instances: PlanInstance[]): Plan {
  const result = planSteps(instances);
  if (!('plan' in result)) throw new Error('expected a plan');
  return result.plan;
}

const consumes = (...from: string[]) =>
  from.map((f, i) => ({ part: 'infra' as const, from: f, pointer: `/spec/catalogs/${i}` }));

/** network (wave 1) → db and cache (wave 2) → report (wave 3, reads db); app reads db. */
const VPC_DB = plan([
  { name: 'network', infra: true, apps: false, consumes: [] },
  { name: 'db', infra: true, apps: false, consumes: consumes('network') },
  { name: 'cache', infra: true, apps: false, consumes: consumes('network') },
  { name: 'report', infra: true, apps: false, consumes: consumes('db') },
  { name: 'app', infra: false, apps: true, consumes: [] },
]);

const NOTHING: DeletionState = {
  committedApps: [],
  committedInfra: [],
  liveApplications: [],
  liveWorkspaces: [],
  secretsLeft: false,
  environmentFilesLeft: false,
  plan: VPC_DB,
};

const ALL_INFRA = ['network', 'db', 'cache', 'report'];

describe('nextDeletionAction', () => {
  it('knows the waves of the plan it is given', () => {
    // GIVEN the plan under test THEN its infra waves are network, then db+cache, then report
    expect(VPC_DB.waves.filter((w) => w.part === 'infra').map((w) => w.steps)).toEqual([
      ['network/infra'],
      ['db/infra', 'cache/infra'],
      ['report/infra'],
    ]);
  });

  it.each<[string, Partial<DeletionState>, DeletionAction]>([
    [
      'app files in Git go first, whatever else is there',
      { committedApps: ['app'], committedInfra: ALL_INFRA, liveWorkspaces: ALL_INFRA, secretsLeft: true },
      { kind: 'removeApps' },
    ],
    [
      'no infra is touched while an Application is live',
      { committedInfra: ALL_INFRA, liveApplications: ['app'], liveWorkspaces: ALL_INFRA },
      { kind: 'waitForApps', remaining: ['app'] },
    ],
    [
      'all infra in Git: only the last wave is removed',
      { committedInfra: ALL_INFRA, liveWorkspaces: ALL_INFRA },
      {
        kind: 'removeInfra',
        instances: ['report'],
        wave: 3,
        message: 'removing the infrastructure of wave 3: report; then cache, db, network',
      },
    ],
    [
      'the last wave is out of Git but its Workspace is being destroyed: wait for it',
      { committedInfra: ['network', 'db', 'cache'], liveWorkspaces: ALL_INFRA },
      {
        kind: 'waitForInfra',
        remaining: ['report'],
        message: 'waiting for terraform destroy of report (wave 3); then cache, db, network',
      },
    ],
    [
      'the last wave is gone: the whole wave below goes in one commit',
      { committedInfra: ['network', 'db', 'cache'], liveWorkspaces: ['network', 'db', 'cache'] },
      {
        kind: 'removeInfra',
        instances: ['cache', 'db'],
        wave: 2,
        message: 'removing the infrastructure of wave 2: cache, db; then network',
      },
    ],
    [
      'the VPC waits while the database in it is still live',
      { committedInfra: ['network'], liveWorkspaces: ['network', 'db'] },
      {
        kind: 'waitForInfra',
        remaining: ['db'],
        message: 'waiting for terraform destroy of db (wave 2); then network',
      },
    ],
    [
      'a wave partly out of Git: the rest of it is removed before waiting',
      { committedInfra: ['network', 'cache'], liveWorkspaces: ['network', 'db', 'cache'] },
      {
        kind: 'removeInfra',
        instances: ['cache'],
        wave: 2,
        message: 'removing the infrastructure of wave 2: cache; then network',
      },
    ],
    [
      'the database is gone: the VPC goes last',
      { committedInfra: ['network'], liveWorkspaces: ['network'] },
      {
        kind: 'removeInfra',
        instances: ['network'],
        wave: 1,
        message: 'removing the infrastructure of wave 1: network',
      },
    ],
    [
      'a Workspace never created (committed, not live) still goes in its turn',
      { committedInfra: ['network', 'db'], liveWorkspaces: ['network'] },
      {
        kind: 'removeInfra',
        instances: ['db'],
        wave: 2,
        message: 'removing the infrastructure of wave 2: db; then network',
      },
    ],
    [
      'an instance the plan no longer knows goes before every planned wave',
      { committedInfra: ['old', 'network'], liveWorkspaces: ['old', 'network'] },
      {
        kind: 'removeInfra',
        instances: ['old'],
        message: 'removing the infrastructure of no longer planned: old; then network',
      },
    ],
    [
      'only the VPC Workspace is left being destroyed',
      { liveWorkspaces: ['network'], secretsLeft: true },
      {
        kind: 'waitForInfra',
        remaining: ['network'],
        message: 'waiting for terraform destroy of network (wave 1)',
      },
    ],
    [
      'no valid plan: every infra file goes at once, and the message says why',
      { plan: undefined, committedInfra: ['network', 'db'], liveWorkspaces: ['network', 'db'] },
      {
        kind: 'removeInfra',
        instances: ['db', 'network'],
        message: 'the environment has no valid plan, so all infrastructure is removed at once: db, network',
      },
    ],
    [
      'no valid plan, files gone: wait for every Workspace',
      { plan: undefined, liveWorkspaces: ['network', 'db'] },
      {
        kind: 'waitForInfra',
        remaining: ['db', 'network'],
        message:
          'the environment has no valid plan, so all infrastructure is removed at once; waiting for terraform destroy of db, network',
      },
    ],
    ['infrastructure gone, Secrets left', { secretsLeft: true }, { kind: 'deleteSecrets' }],
    [
      'Secrets go before the environment files',
      { secretsLeft: true, environmentFilesLeft: true },
      { kind: 'deleteSecrets' },
    ],
    [
      'everything below gone: the environment files go, the claim stays',
      { environmentFilesLeft: true, namespaceLeft: { name: 'team-a', terminating: false } },
      { kind: 'removeEnvironmentFiles' },
    ],
    [
      'files gone, Namespace still there: the claim waits for Argo CD to delete it',
      { namespaceLeft: { name: 'team-a', terminating: false } },
      {
        kind: 'waitForNamespace',
        namespace: 'team-a',
        message: 'waiting for Argo CD to delete the namespace "team-a" before releasing its claim',
      },
    ],
    [
      'files gone, Namespace Terminating: the claim waits until it is gone',
      { namespaceLeft: { name: 'team-a', terminating: true } },
      {
        kind: 'waitForNamespace',
        namespace: 'team-a',
        message: 'waiting for the namespace "team-a" to finish terminating before releasing its claim',
      },
    ],
    [
      "the Namespace gone, an Application of the environment's folders still there (its finalizer running): the claim waits",
      { folderApplicationsLeft: ['envcat-platform-dev', 'envcat-apps-dev'] },
      {
        kind: 'waitForFolderApplications',
        remaining: ['envcat-apps-dev', 'envcat-platform-dev'],
        message:
          'waiting for Argo CD to delete envcat-apps-dev, envcat-platform-dev before releasing the namespace claim',
      },
    ],
    [
      "the Namespace first, then the folders' Applications",
      {
        namespaceLeft: { name: 'team-a', terminating: true },
        folderApplicationsLeft: ['envcat-platform-dev'],
      },
      {
        kind: 'waitForNamespace',
        namespace: 'team-a',
        message: 'waiting for the namespace "team-a" to finish terminating before releasing its claim',
      },
    ],
    ['nothing left', {}, { kind: 'removeEnvironment' }],
    ['nothing left and no plan', { plan: undefined }, { kind: 'removeEnvironment' }],
  ])('%s', (_name, given, expected) => {
    // GIVEN what Git and the cluster still hold
    const state = { ...NOTHING, ...given };
    // WHEN the reconciler asks what to do next
    const action = nextDeletionAction(state);
    // THEN it is the next step of the reverse order
    expect(action).toEqual(expected);
  });

  it('walks a whole deletion in reverse wave order', () => {
    // GIVEN every infra step committed and live, and a cluster that destroys what leaves Git
    const committed = new Set(ALL_INFRA);
    const live = new Set(ALL_INFRA);
    const removed: string[][] = [];
    // WHEN each action is carried out until the environment's files go
    for (let guard = 0; guard < 20; guard++) {
      const action = nextDeletionAction({
        ...NOTHING,
        committedInfra: [...committed],
        liveWorkspaces: [...live],
      });
      if (action.kind === 'removeEnvironment') break;
      if (action.kind === 'removeInfra') {
        removed.push(action.instances);
        for (const i of action.instances) committed.delete(i);
      } else if (action.kind === 'waitForInfra') for (const i of action.remaining) live.delete(i);
      else throw new Error(`unexpected ${action.kind}`);
    }
    // THEN the waves went last first, one at a time
    expect(removed).toEqual([['report'], ['cache', 'db'], ['network']]);
    expect(live.size).toBe(0);
  });
});
