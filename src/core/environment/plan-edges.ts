/**
 * The plan's edges with what each carries: the outputs a step reads from the step it waits for.
 * A `fromOutput` reference carries `<instance>.<output>` to the part that reads the parameter; a
 * hybrid's infra carries to its own apps the outputs its templates use (`${{ outputs.<name> }}`).
 * The portal labels the plan's graph with them. Pure.
 */
import type { Plan, PlanEdge } from '../plan/index.js';
import { scanTemplate } from '../template/index.js';
import type { ResolvedEnvironment, ResolvedInstance } from './types.js';
import { consumerPart } from './validate.js';

export function planEdges(env: ResolvedEnvironment, plan: Plan): PlanEdge[] {
  const byName = new Map(env.instances.map((i) => [i.name, i]));
  const stepsById = new Map(plan.steps.map((s) => [s.id, s]));
  const edges: PlanEdge[] = [];
  for (const step of plan.steps) {
    const consumer = byName.get(step.instance);
    for (const id of step.dependsOn) {
      const producer = stepsById.get(id);
      if (!consumer || !producer) continue;
      const outputs =
        producer.instance === step.instance
          ? ownOutputsUsed(consumer)
          : referencedOutputs(consumer, producer.instance, step.part);
      edges.push({ from: id, to: step.id, outputs: [...new Set(outputs)].sort() });
    }
  }
  return edges;
}

/** The outputs of `from` that the consumer's parameters read in `part`, secret ones included. */
function referencedOutputs(consumer: ResolvedInstance, from: string, part: Plan['steps'][number]['part']) {
  const references = [
    ...Object.values(consumer.references),
    ...Object.values(consumer.secrets).flatMap((s) => (s.kind === 'output' ? [s.reference] : [])),
  ];
  return references
    .filter((r) => r.from === from && consumerPart(consumer.entry, r.parameter) === part)
    .map((r) => `${r.from}.${r.output}`);
}

/** A hybrid's own outputs that its apps templates (Helm values or manifests) use. */
function ownOutputsUsed(instance: ResolvedInstance): string[] {
  const templates = [instance.entry.values, ...(instance.entry.manifests ?? [])].flatMap((t) =>
    t ? t.documents : [],
  );
  return templates.flatMap((document) =>
    scanTemplate(document)
      .references.filter((r) => r.scope === 'outputs')
      .map((r) => `${instance.name}.${r.name}`),
  );
}
