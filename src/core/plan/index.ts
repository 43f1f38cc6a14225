/**
 * The plan (DESIGN §4): one `infra` step per IaC part, one `apps` step per YAML part; edges from a
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

export function planSteps(instances: readonly PlanInstance[]): PlanResult {
  const steps = new Map<string, Omit<Step, 'wave' | 'phase'> & { pointers: Map<string, string> }>();
  for (const i of instances) {
    for (const part of ['infra', 'apps'] as const) {
      if (i[part])
        steps.set(stepId(i.name, part), {
          id: stepId(i.name, part),
          instance: i.name,
          part,
          dependsOn: [],
          pointers: new Map(),
        });
    }
  }
  const addEdge = (from: string, to: string, pointer: string) => {
    const step = steps.get(to);
    if (!step || !steps.has(from) || from === to) return;
    if (!step.dependsOn.includes(from)) step.dependsOn.push(from);
    if (pointer && !step.pointers.has(from)) step.pointers.set(from, pointer);
  };
  for (const i of instances) {
    if (i.infra && i.apps) addEdge(stepId(i.name, 'infra'), stepId(i.name, 'apps'), '');
    for (const c of i.consumes) addEdge(stepId(c.from, 'infra'), stepId(i.name, c.part), c.pointer);
  }
  for (const s of steps.values()) s.dependsOn.sort();

  const cycle = findCycle(steps);
  if (cycle) return { cycle };

  // Longest path from a source inside each phase; phase 2 starts after the last wave of phase 1.
  const depth = new Map<string, number>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const step = steps.get(id)!;
    let d = 0;
    for (const dep of step.dependsOn) {
      if (steps.get(dep)!.part === step.part) d = Math.max(d, depthOf(dep) + 1);
    }
    depth.set(id, d);
    return d;
  };
  const infraWaves = Math.max(
    0,
    ...[...steps.values()].filter((s) => s.part === 'infra').map((s) => depthOf(s.id) + 1),
  );
  const result: Step[] = [...steps.values()].map((s) => ({
    id: s.id,
    instance: s.instance,
    part: s.part,
    dependsOn: s.dependsOn,
    phase: s.part === 'infra' ? 1 : 2,
    wave: depthOf(s.id) + 1 + (s.part === 'apps' ? infraWaves : 0),
  }));
  const order = new Map(instances.map((i, n) => [i.name, n]));
  result.sort((a, b) => a.wave - b.wave || order.get(a.instance)! - order.get(b.instance)!);
  const waves: Wave[] = [];
  for (const s of result) {
    let wave = waves.find((w) => w.number === s.wave);
    if (!wave) {
      wave = { number: s.wave, phase: s.phase, part: s.part, steps: [] };
      waves.push(wave);
    }
    wave.steps.push(s.id);
  }
  return { plan: { steps: result, waves } };
}

function findCycle(
  steps: Map<string, { dependsOn: string[]; instance: string; pointers: Map<string, string> }>,
): PlanCycle | undefined {
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
