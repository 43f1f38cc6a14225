/**
 * The plan: one `infra` step per IaC part, one `apps` step per YAML part; edges from a
 * hybrid's infra to its own apps and from each producing infra step to its consumers; every infra
 * step precedes every apps step. Waves are the topological layers, phase 1 (infra) then phase 2 (apps).
 */

export type Part = 'infra' | 'apps';

export interface PlanInstance {
  name: string;
  infra: boolean;
  apps: boolean;
  /** Outputs this instance consumes: which of its parts consumes, from which instance, where it is written. */
  consumes: Array<{ part: Part; from: string; pointer: string }>;
}

export interface Step {
  id: string;
  instance: string;
  part: Part;
  /** Step ids this one waits for directly (the phase rule excluded). */
  dependsOn: string[];
  phase: 1 | 2;
  wave: number;
}

export interface Wave {
  number: number;
  phase: 1 | 2;
  part: Part;
  steps: string[];
}

export interface Plan {
  steps: Step[];
  waves: Wave[];
}

/** An edge of the plan with the outputs it carries (core/environment/plan-edges.ts). */
export interface PlanEdge {
  /** The step waited for (a step id, `<instance>/<part>`). */
  from: string;
  /** The step that waits. */
  to: string;
  /** What `to` reads from `from`, as `<instance>.<output>`, sorted; empty when it reads nothing. */
  outputs: string[];
}

export interface PlanCycle {
  /** Instances on the cycle, in order. */
  instances: string[];
  /** Pointers of the references that close it. */
  pointers: string[];
}

export function stepId(instance: string, part: Part): string {
  return `${instance}/${part}`;
}

export type PlanResult = { plan: Plan } | { cycle: PlanCycle };

interface StepDraft {
  id: string;
  instance: string;
  part: Part;
  dependsOn: string[];
  /** For each step waited for, the pointer of the reference that made the edge (for cycle reports). */
  pointers: Map<string, string>;
}

/** Marks a step whose depth is being computed: meeting it again means a cycle. */
const VISITING = -1;

export function planSteps(instances: readonly PlanInstance[]): PlanResult {
  const steps = new Map<string, StepDraft>();
  for (const i of instances) {
    if (i.infra) addStep(steps, i.name, 'infra');
    if (i.apps) addStep(steps, i.name, 'apps');
  }
  for (const i of instances) {
    if (i.infra && i.apps) addEdge(steps, stepId(i.name, 'infra'), stepId(i.name, 'apps'), '');
    for (const c of i.consumes) addEdge(steps, stepId(c.from, 'infra'), stepId(i.name, c.part), c.pointer);
  }
  for (const s of steps.values()) if (s.dependsOn.length > 1) s.dependsOn.sort();

  // Longest path from a source inside each phase; phase 2 starts after the last wave of phase 1.
  const depth = new Map<StepDraft, number>();
  let infraWaves = 0;
  for (const s of steps.values()) {
    const d = depthOf(s, steps, depth);
    // Rare: search again, in the order that names the cycle the same way every time.
    if (d === VISITING) return { cycle: findCycle(steps)! };
    if (s.part === 'infra' && d + 1 > infraWaves) infraWaves = d + 1;
  }
  const result: Step[] = [];
  for (const s of steps.values()) {
    result.push({
      id: s.id,
      instance: s.instance,
      part: s.part,
      dependsOn: s.dependsOn,
      phase: s.part === 'infra' ? 1 : 2,
      wave: depth.get(s)! + 1 + (s.part === 'apps' ? infraWaves : 0),
    });
  }
  const order = new Map<string, number>();
  instances.forEach((i, n) => order.set(i.name, n));
  result.sort((a, b) => a.wave - b.wave || order.get(a.instance)! - order.get(b.instance)!);
  const waves: Wave[] = [];
  let wave: Wave | undefined;
  for (const s of result) {
    // Steps are sorted by wave: a step belongs to the last wave or starts the next one.
    if (wave?.number !== s.wave) {
      wave = { number: s.wave, phase: s.phase, part: s.part, steps: [] };
      waves.push(wave);
    }
    wave.steps.push(s.id);
  }
  return { plan: { steps: result, waves } };
}

function addStep(steps: Map<string, StepDraft>, instance: string, part: Part): void {
  const id = stepId(instance, part);
  steps.set(id, { id, instance, part, dependsOn: [], pointers: new Map() });
}

function addEdge(steps: Map<string, StepDraft>, from: string, to: string, pointer: string): void {
  const step = steps.get(to);
  if (!step || !steps.has(from) || from === to) return;
  if (!step.dependsOn.includes(from)) step.dependsOn.push(from);
  if (pointer && !step.pointers.has(from)) step.pointers.set(from, pointer);
}

/**
 * The number of same-part steps on the longest chain a step waits for (0 for none), memoized in
 * `depth`; VISITING when the step lies on a cycle. Every edge is followed, so any cycle is found.
 */
function depthOf(step: StepDraft, steps: Map<string, StepDraft>, depth: Map<StepDraft, number>): number {
  const known = depth.get(step);
  if (known !== undefined) return known;
  depth.set(step, VISITING);
  let d = 0;
  for (const id of step.dependsOn) {
    const dep = steps.get(id)!;
    const depDepth = depthOf(dep, steps, depth);
    if (depDepth === VISITING) return VISITING;
    if (dep.part === step.part && depDepth + 1 > d) d = depDepth + 1;
  }
  depth.set(step, d);
  return d;
}

function findCycle(steps: Map<string, StepDraft>): PlanCycle | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return stack.slice(stack.indexOf(id));
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of steps.get(id)!.dependsOn) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of [...steps.keys()].sort()) {
    const ids = visit(id);
    if (ids) {
      // ids[k] depends on ids[k+1]; the reference that makes ids[k] wait sits in ids[k].
      const pointers = ids
        .map((to, k) => steps.get(to)!.pointers.get(ids[(k + 1) % ids.length]!) ?? '')
        .filter((p) => p !== '');
      return { instances: ids.map((s) => steps.get(s)!.instance), pointers };
    }
  }
  return undefined;
}
