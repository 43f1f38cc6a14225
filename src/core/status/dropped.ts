/**
 * Instances removed from a request: their files are still in Git, but the request no longer names
 * them. The engine removes their apps first and their infrastructure once those are gone, and
 * their Secrets last, once their steps are gone from Git and the cluster. Pure.
 */
import { instanceOfPath } from '../layout/index.js';
import type { Part } from '../plan/index.js';
import { nextDeletionAction } from './deletion.js';

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

/**
 * The instances removed from the request whose Secrets can go now, sorted: of those that still
 * have one (`withSecrets`), each whose steps are gone from Git and from the cluster. Decided per
 * instance as the deletion of a whole environment decides it (nextDeletionAction: the Secrets go
 * after the Applications and the Workspaces, so a `terraform destroy` still reads its variables).
 */
export function droppedSecretsDeletable(args: {
  environment: string;
  kept: ReadonlySet<string>;
  /** Instances that envcat's Secrets are labelled with. */
  withSecrets: Iterable<string>;
  /** The environment's paths in each repo. */
  paths: { platform: Iterable<string>; apps: Iterable<string> };
  /** Instances whose Application / Workspace is still in the cluster (terminating ones too). */
  liveApplications: readonly string[];
  liveWorkspaces: readonly string[];
}): string[] {
  const { environment } = args;
  const filesOf = (part: Part, paths: Iterable<string>) =>
    new Set([...paths].flatMap((path) => instanceOfPath(environment, part, path) ?? []));
  const apps = filesOf('apps', args.paths.apps);
  const infra = filesOf('infra', args.paths.platform);
  const dropped = [...new Set(args.withSecrets)].filter((i) => !args.kept.has(i)).sort();
  return dropped.filter(
    (instance) =>
      nextDeletionAction({
        committedApps: apps.has(instance) ? [instance] : [],
        committedInfra: infra.has(instance) ? [instance] : [],
        liveApplications: args.liveApplications.filter((i) => i === instance),
        liveWorkspaces: args.liveWorkspaces.filter((i) => i === instance),
        secretsLeft: true,
        environmentFilesLeft: false,
      }).kind === 'deleteSecrets',
  );
}
