/**
 * Which committed steps a pass renders again to find the ones whose files changed. Rendering every
 * committed step on every pass is most of an idle engine's work (and garbage), so it is skipped
 * while the request, the environment's files and the outputs a step reads are what they were when
 * the environment was last found clean. When a database turns Available, only the steps that read
 * its outputs are rendered again: with 100 databases turning Available at once, re-rendering every
 * other committed step was a sixth of the engine's busy time.
 */
import type { OutputValues, ResolvedEnvironment, Step } from '../core/index.js';

interface Clean {
  env: ResolvedEnvironment;
  files: number;
  /** Each instance's outputs, as JSON. */
  outputs: Map<string, string>;
}

export class RenderedClean {
  private readonly clean = new Map<string, Clean>();

  /** The ids of the steps to render again: all of them unless the environment was found clean since. */
  toRender(args: {
    name: string;
    env: ResolvedEnvironment;
    files: number;
    outputs: OutputValues;
    steps: readonly Step[];
  }): Set<string> {
    const ids = (steps: readonly Step[]) => new Set(steps.map((step) => step.id));
    const clean = this.clean.get(args.name);
    if (!clean || clean.env !== args.env || clean.files !== args.files) return ids(args.steps);
    const now = outputsByInstance(args.outputs);
    const changed = new Set<string>();
    for (const instance of new Set([...clean.outputs.keys(), ...now.keys()]))
      if (clean.outputs.get(instance) !== now.get(instance)) changed.add(instance);
    if (changed.size === 0) return new Set();
    return ids(
      args.steps.filter((step) => {
        const reads = readsFrom(args.env, step);
        return reads === undefined || reads.some((instance) => changed.has(instance));
      }),
    );
  }

  /** The environment's committed files are what it renders to, from these inputs. */
  noteClean(args: { name: string; env: ResolvedEnvironment; files: number; outputs: OutputValues }): void {
    this.clean.set(args.name, { env: args.env, files: args.files, outputs: outputsByInstance(args.outputs) });
  }

  /**
   * The environment's own commit took its files from version `before` to `after`, rendered from
   * `outputs`: if it was found clean at `before` with these same outputs, it is clean at `after`.
   * (The pass that commits a wave would otherwise render every committed step again on the next.)
   */
  advance(args: {
    name: string;
    env: ResolvedEnvironment;
    outputs: OutputValues;
    files: { before: number; after: number };
  }): void {
    const clean = this.clean.get(args.name);
    if (!clean || clean.env !== args.env || clean.files !== args.files.before) return;
    const now = outputsByInstance(args.outputs);
    const same =
      now.size === clean.outputs.size &&
      [...now].every(([instance, values]) => clean.outputs.get(instance) === values);
    if (same) clean.files = args.files.after;
    else this.clean.delete(args.name);
  }

  forget(name: string): void {
    this.clean.delete(name);
  }
}

/**
 * The instances whose outputs a step's rendering reads (core/render renderStep): those its
 * instance's parameters reference and, for its apps, its own (templates may use them). Undefined
 * for an instance not in the request: render it.
 */
function readsFrom(env: ResolvedEnvironment, step: Step): string[] | undefined {
  const instance = env.instances.find((i) => i.name === step.instance);
  if (!instance) return undefined;
  const referenced = Object.values(instance.references).map((ref) => ref.from);
  return step.part === 'apps' ? [instance.name, ...referenced] : referenced;
}

function outputsByInstance(outputs: OutputValues): Map<string, string> {
  return new Map(Object.entries(outputs).map(([instance, values]) => [instance, JSON.stringify(values)]));
}
