/** The simulated API server's fault injection (api-server-faults.ts): which requests it answers with an error. */
import { FaultInjector, type FaultPlan } from '../../src/simulator/api-server-faults.js';

const WORKSPACES = 'tf.m.upbound.io/workspaces';

/** The status codes `plan` answers each request with (`-` when served). */
function answers(plan: FaultPlan, requests: Array<[string, string]>): string[] {
  const faults = new FaultInjector(plan);
  return requests.map(([method, resource]) => String(faults.decide(method, resource)?.status.code ?? '-'));
}

describe('FaultInjector', () => {
  const requests: Array<[string, string]> = [
    ['DELETE', WORKSPACES],
    ['GET', WORKSPACES],
    ['PATCH', WORKSPACES],
    ['DELETE', 'secrets'],
    ['PUT', WORKSPACES],
    ['DELETE', WORKSPACES],
  ];

  it.each<[string, FaultPlan, string[]]>([
    ['every request', { errorRate: 1, statuses: [500] }, ['500', '500', '500', '500', '500', '500']],
    ['none', { errorRate: 0 }, ['-', '-', '-', '-', '-', '-']],
    [
      'only the DELETEs of Workspaces',
      { errorRate: 1, statuses: [500], only: { methods: ['DELETE'], resources: [WORKSPACES] } },
      ['500', '-', '-', '-', '-', '500'],
    ],
    [
      'only Workspaces, whatever the method; a 409 answers only a PUT',
      { errorRate: 1, statuses: [409], only: { resources: [WORKSPACES] } },
      ['-', '-', '-', '-', '409', '-'],
    ],
  ])('%s', (_name, plan, expected) => {
    expect(answers(plan, requests)).toEqual(expected);
  });

  it('counts what it injected', () => {
    const faults = new FaultInjector({ errorRate: 1, statuses: [500], only: { methods: ['DELETE'] } });
    faults.decide('DELETE', WORKSPACES);
    faults.decide('GET', WORKSPACES);
    expect(faults.counts.injected).toEqual({ 500: 1 });
  });
});
