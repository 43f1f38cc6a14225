/** The planner: steps, edges and waves. */
import { planSteps, type PlanInstance } from '../../../src/core/index.js';

const iac = (name: string, consumes: PlanInstance['consumes'] = []): PlanInstance => ({
  name,
  infra: true,
  apps: false,
  consumes,
});
const yaml = (name: string, consumes: PlanInstance['consumes'] = []): PlanInstance => ({
  name,
  infra: false,
  apps: true,
  consumes,
});
const hybrid = (name: string, consumes: PlanInstance['consumes'] = []): PlanInstance => ({
  name,
  infra: true,
  apps: true,
  consumes,
});
const uses = (part: 'infra' | 'apps', from: string) => ({ part, from, pointer: `/ref/${from}` });

type Row = [string, PlanInstance[], string[][]];

const rows: Row[] = [
  ['a single iac instance: one wave', [iac('db')], [['db/infra']]],
  ['a single yaml instance: one apps wave', [yaml('app')], [['app/apps']]],
  [
    'independent infra and apps: every infra before every apps',
    [yaml('app'), iac('db')],
    [['db/infra'], ['app/apps']],
  ],
  [
    'the domain example',
    [iac('db'), yaml('monitoring'), yaml('app', [uses('apps', 'db')])],
    [['db/infra'], ['monitoring/apps', 'app/apps']],
  ],
  ['a hybrid: infra first, then its apps', [hybrid('pg')], [['pg/infra'], ['pg/apps']]],
  [
    'an infra → infra reference adds a wave inside phase 1',
    [iac('network'), iac('db', [uses('infra', 'network')]), yaml('app', [uses('apps', 'db')])],
    [['network/infra'], ['db/infra'], ['app/apps']],
  ],
  [
    'a chain of three infra steps and an unrelated one',
    [iac('c', [uses('infra', 'b')]), iac('b', [uses('infra', 'a')]), iac('a'), iac('bucket')],
    [['a/infra', 'bucket/infra'], ['b/infra'], ['c/infra']],
  ],
  [
    'a hybrid consuming a VPC in its infra part',
    [iac('network'), hybrid('pg', [uses('infra', 'network')])],
    [['network/infra'], ['pg/infra'], ['pg/apps']],
  ],
  [
    'waves keep request order inside a wave',
    [iac('z'), iac('a'), iac('m')],
    [['z/infra', 'a/infra', 'm/infra']],
  ],
];

describe('planSteps', () => {
  it.each(rows)('%s', (_name, instances, expected) => {
    // GIVEN instances and their references WHEN planned
    const result = planSteps(instances);
    // THEN the waves are the topological layers, phase 1 (infra) before phase 2 (apps)
    if (!('plan' in result)) throw new Error('unexpected cycle');
    expect(result.plan.waves.map((w) => w.steps)).toEqual(expected);
    for (const wave of result.plan.waves) expect(wave.phase).toBe(wave.part === 'infra' ? 1 : 2);
    const lastInfra = Math.max(0, ...result.plan.steps.filter((s) => s.part === 'infra').map((s) => s.wave));
    for (const s of result.plan.steps.filter((s) => s.part === 'apps'))
      expect(s.wave).toBeGreaterThan(lastInfra);
  });

  it('records direct dependencies of each step', () => {
    const result = planSteps([
      iac('network'),
      hybrid('pg', [uses('infra', 'network')]),
      yaml('app', [uses('apps', 'pg')]),
    ]);
    if (!('plan' in result)) throw new Error('unexpected cycle');
    const deps = Object.fromEntries(result.plan.steps.map((s) => [s.id, s.dependsOn]));
    expect(deps).toEqual({
      'network/infra': [],
      'pg/infra': ['network/infra'],
      'pg/apps': ['pg/infra'],
      'app/apps': ['pg/infra'],
    });
  });

  it.each([
    ['two instances', [iac('a', [uses('infra', 'b')]), iac('b', [uses('infra', 'a')])], ['a', 'b']],
    [
      'three instances',
      [iac('a', [uses('infra', 'c')]), iac('b', [uses('infra', 'a')]), iac('c', [uses('infra', 'b')])],
      ['a', 'b', 'c'],
    ],
  ])('detects a cycle of %s with the pointers that close it', (_name, instances, members) => {
    const result = planSteps(instances);
    if (!('cycle' in result)) throw new Error('expected a cycle');
    expect([...result.cycle.instances].sort()).toEqual(members);
    expect(result.cycle.pointers.length).toBe(members.length);
    for (const p of result.cycle.pointers) expect(p).toMatch(/^\/ref\/[abc]$/);
  });
});
