/**
 * Instances removed from a request: their files are still in Git, but the request no longer names
 * them. The engine removes their apps first and their infrastructure once those are gone. Pure.
 */
import { instanceOfPath } from '../layout/index.js';
import type { Part } from '../plan/index.js';

/** The instances with files of `part` among the environment's paths that are not `kept`, in path order. */
export function droppedInstances(args: {
  environment: string;
  part: Part;
  paths: Iterable<string>;
  kept: ReadonlySet<string>;
}): string[] {
  const found = new Set<string>();
  for (const path of args.paths) {
    const instance = instanceOfPath(args.environment, args.part, path);
    if (instance && !args.kept.has(instance)) found.add(instance);
  }
  return [...found];
}
