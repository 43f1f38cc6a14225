/**
 * Which changed steps of a running environment go to Git now (core updatableSteps): the
 * infrastructure first; a step that reads a changed or not-yet-Ready infra step, directly or
 * through others, waits for it.
 */
import {
  planSteps,
  updatableSteps,
  type Plan,
  type PlanInstance,
  type StepObservation,
  type StepState,
} from '../../../src/core/index.js';

function plan(instances: PlanInstance[]): Plan {
  const result = planSteps(instances);
  if (!('plan' in result)) throw new Error('expected a plan');
  return result.plan;
}

const consumes = (part: 'infra' | 'apps', ...from: string[]) =>
  from.map((f, i) => ({ part, from: f, pointer: `/spec/catalogs/${i}` }));

/** network → db → app (reads db); portal is hybrid (its apps read its own infra); docs reads nothing. */
const PLAN = plan([
  { name: 'network', infra: true, apps: false, consumes: [] },
  { name: 'db', infra: true, apps: false, consumes: consumes('infra', 'network') },
  { name: 'app', infra: false, apps: true, consumes: consumes('apps', 'db') },
  { name: 'portal', infra: true, apps: true, consumes: [] },
  { name: 'docs', infra: false, apps: true, consumes: [] },
]);

const READY: StepState = { phase: 'Ready', reason: 'Available', message: '' };
const APPLYING: StepState = {
  phase: 'Progressing',
  reason: 'NotApplied',
  message: 'committed; Argo CD has not applied this version to the cluster yet',
};

function observed(notReady: string[]): StepObservation[] {
  return PLAN.steps.map((step) => ({
    step,
    committed: true,
    state: notReady.includes(step.id) ? APPLYING : READY,
  }));
}

const step = (id: string) => PLAN.steps.find((s) => s.id === id)!;

describe('updatableSteps', () => {
  it.each<
    [string, { changed: string[]; notReady: string[]; now: string[]; waiting: Record<string, string[]> }]
  >([
    [
      'an app whose own parameters changed, its infra Ready: now',
      { changed: ['app/apps'], notReady: [], now: ['app/apps'], waiting: {} },
    ],
    [
      'an app that reads nothing: now, whatever the infra does',
      { changed: ['docs/apps'], notReady: ['db/infra'], now: ['docs/apps'], waiting: {} },
    ],
    [
      'infra and the app reading it changed together: the infra now, the app waits',
      {
        changed: ['db/infra', 'app/apps'],
        notReady: [],
        now: ['db/infra'],
        waiting: { 'app/apps': ['db/infra'] },
      },
    ],
    [
      'the app while the db is applying its new spec: waits',
      { changed: ['app/apps'], notReady: ['db/infra'], now: [], waiting: { 'app/apps': ['db/infra'] } },
    ],
    [
      'the app while the network under its db is applying: waits for it (read through the db)',
      {
        changed: ['app/apps'],
        notReady: ['network/infra'],
        now: [],
        waiting: { 'app/apps': ['network/infra'] },
      },
    ],
    [
      'the db while the network it reads is changed too: waits',
      {
        changed: ['network/infra', 'db/infra'],
        notReady: [],
        now: ['network/infra'],
        waiting: { 'db/infra': ['network/infra'] },
      },
    ],
    [
      'a hybrid instance: its apps wait for its own infra',
      {
        changed: ['portal/infra', 'portal/apps'],
        notReady: [],
        now: ['portal/infra'],
        waiting: { 'portal/apps': ['portal/infra'] },
      },
    ],
    [
      'once the changed infra is Ready at its new version, the app goes',
      { changed: ['app/apps'], notReady: [], now: ['app/apps'], waiting: {} },
    ],
    ['nothing changed: nothing to do', { changed: [], notReady: ['db/infra'], now: [], waiting: {} }],
  ])('%s', (_, { changed, notReady, now, waiting }) => {
    const decision = updatableSteps({ plan: PLAN, changed: changed.map(step), observed: observed(notReady) });
    expect(decision.now.map((s) => s.id)).toEqual(now);
    expect(Object.fromEntries(decision.waiting.map((w) => [w.step.id, w.on]))).toEqual(waiting);
  });
});
