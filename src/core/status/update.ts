/**
 * Which changed steps of a running environment may be committed now, when its request was edited
 * (parameters changed) or an output it reads changed. The infrastructure goes first: a step waits
 * while any infra step it reads, directly or through the steps it reads, is changed in the same
 * pass or not Ready at the version in Git (judgeWorkspace checks the Workspace holds the spec Git
 * has). So an app is committed again only on the outputs of the infrastructure after the change,
 * never on those from before it. Pure: the engine feeds it the plan and what it observed.
 */
import type { Plan, Step } from '../plan/index.js';
import type { StepObservation } from './index.js';

export interface UpdateDecision {
  /** Changed steps to commit now. */
  now: Step[];
  /** Changed steps that wait, with the infra steps (ids) they wait for. */
  waiting: Array<{ step: Step; on: string[] }>;
}

export function updatableSteps(args: {
  plan: Plan;
  changed: readonly Step[];
  observed: readonly StepObservation[];
}): UpdateDecision {
  const { plan, changed, observed } = args;
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const changedIds = new Set(changed.map((s) => s.id));
  const ready = new Set(observed.filter((o) => o.state.phase === 'Ready').map((o) => o.step.id));
  const decision: UpdateDecision = { now: [], waiting: [] };
  for (const step of changed) {
    const on = infraRead(step, byId).filter((id) => changedIds.has(id) || !ready.has(id));
    if (on.length === 0) decision.now.push(step);
    else decision.waiting.push({ step, on });
  }
  return decision;
}

/** The infra steps a step reads, directly or through other steps, sorted. */
function infraRead(step: Step, byId: ReadonlyMap<string, Step>): string[] {
  const seen = new Set<string>();
  const stack = [...step.dependsOn];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.dependsOn ?? []));
  }
  return [...seen].filter((id) => byId.get(id)?.part === 'infra').sort();
}
