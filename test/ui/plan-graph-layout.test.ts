/** planGraph: wave columns, node states and reasons, edge labels, from the plan and the steps' status. */
import type { Plan, PlanEdge, StepStatus } from '../../src/api/contract.js';
import { clip, planGraph } from '../../src/ui/logic/plan-graph.js';

const PLAN: Plan = {
  steps: [
    { id: 'net/infra', instance: 'net', part: 'infra', dependsOn: [], phase: 1, wave: 1 },
    { id: 'db/infra', instance: 'db', part: 'infra', dependsOn: ['net/infra'], phase: 1, wave: 2 },
    { id: 'app/apps', instance: 'app', part: 'apps', dependsOn: ['db/infra'], phase: 2, wave: 3 },
  ],
  waves: [
    { number: 1, phase: 1, part: 'infra', steps: ['net/infra'] },
    { number: 2, phase: 1, part: 'infra', steps: ['db/infra'] },
    { number: 3, phase: 2, part: 'apps', steps: ['app/apps'] },
  ],
};
const EDGES: PlanEdge[] = [
  { from: 'net/infra', to: 'db/infra', outputs: ['net.vpcId'] },
  { from: 'db/infra', to: 'app/apps', outputs: ['db.endpoint'] },
];

const step = (id: string, phase: StepStatus['phase'], reason: string, message: string): StepStatus => {
  const [instance, part] = id.split('/') as [string, StepStatus['part']];
  return { instance, part, phase, reason, message };
};

describe('planGraph', () => {
  it('puts each wave in its own column, left to right, and labels the edges with their outputs', () => {
    const layout = planGraph({ plan: PLAN, edges: EDGES });
    const x = (id: string) => layout.nodes.find((n) => n.id === id)!.x;
    expect(x('net/infra')).toBeLessThan(x('db/infra'));
    expect(x('db/infra')).toBeLessThan(x('app/apps'));
    expect(layout.columns.map((c) => c.title)).toEqual([
      'Wave 1 · infrastructure',
      'Wave 2 · infrastructure',
      'Wave 3 · applications',
    ]);
    expect(layout.edges.map((e) => e.label)).toEqual(['net.vpcId', 'db.endpoint']);
    expect(layout.nodes.every((n) => n.state === 'Planned' && n.stateLabel === 'Planned')).toBe(true);
    expect(layout.width).toBeGreaterThan(x('app/apps'));
  });

  it.each<[string, StepStatus[], Record<string, [string, string | undefined]>]>([
    [
      'a step waiting names the outputs of the steps not Ready yet',
      [
        step('net/infra', 'Ready', 'Available', ''),
        step('db/infra', 'Progressing', 'Pending', 'waiting for provider-terraform'),
        step('app/apps', 'Pending', 'Waiting', 'waiting for db/infra'),
      ],
      {
        'net/infra': ['Ready', undefined],
        'db/infra': ['Progressing', 'waiting for provider-terraform'],
        'app/apps': ['Pending', 'waiting for db.endpoint'],
      },
    ],
    [
      "a failed step says the controller's message; a blocked one why",
      [
        step('net/infra', 'Failed', 'ReconcileError', 'apply failed: quota'),
        step('db/infra', 'Pending', 'Blocked', 'blocked: net/infra failed'),
        step('app/apps', 'Pending', 'Blocked', 'blocked: net/infra failed'),
      ],
      {
        'net/infra': ['Failed', 'apply failed: quota'],
        'db/infra': ['Pending', 'blocked: net/infra failed'],
        'app/apps': ['Pending', 'blocked: net/infra failed'],
      },
    ],
    [
      'a step the status does not list yet is Pending; Deleting has its own state',
      [step('net/infra', 'Deleting', 'Deleting', 'terraform destroy')],
      {
        'net/infra': ['Deleting', 'terraform destroy'],
        'db/infra': ['Pending', undefined],
        'app/apps': ['Pending', undefined],
      },
    ],
  ])('%s', (_title, steps, expected) => {
    // GIVEN the steps' status WHEN the graph is laid out THEN each node has its state and reason
    const layout = planGraph({ plan: PLAN, edges: EDGES, steps });
    expect(Object.fromEntries(layout.nodes.map((n) => [n.id, [n.stateLabel, n.reason]]))).toEqual(expected);
  });

  it('marks an edge satisfied once the step it waits for is Ready', () => {
    const layout = planGraph({
      plan: PLAN,
      edges: EDGES,
      steps: [step('net/infra', 'Ready', 'Available', ''), step('db/infra', 'Progressing', 'Pending', '')],
    });
    expect(layout.edges.map((e) => [e.from, e.satisfied])).toEqual([
      ['net/infra', true],
      ['db/infra', false],
    ]);
  });

  it.each([
    ['short', 10, 'short'],
    ['network.privateSubnetIds', 10, 'network.p…'],
  ])('clips %j to %i characters', (text, max, expected) => {
    expect(clip(text, max)).toBe(expected);
  });
});
