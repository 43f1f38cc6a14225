/**
 * When and whom to ask to look at Git now: Argo CD polls Git every 3 minutes, so after
 * a commit the engine does what Argo CD's Git webhook does: the bootstrap ApplicationSet of the
 * repo regenerates (a new or removed environment directory) and the environment's Applications
 * compare again. A request can be lost (refused by a busy API server, or set while another was
 * still pending), so while a committed step waits for Argo CD it is asked again every
 * REFRESH_AGAIN_MS (or the engine's `refreshAgainMs`). Pure: the engine keeps the times and sends
 * the requests.
 */
import { ARGOCD_ANNOTATION, LABEL, type Repo } from '../layout/index.js';
import type { Part } from '../plan/index.js';
import type { StepObservation } from './index.js';
import { FOLDER_SYNC_FAILED_REASON, NOT_CAUGHT_UP_REASONS } from './folder-sync.js';

/** How long a committed step may wait for Argo CD before it is asked again (the default). */
export const REFRESH_AGAIN_MS = 10_000;

/** An Argo CD object asked to look at Git now, through an annotation. */
export interface RefreshTarget {
  kind: 'ApplicationSet' | 'Application';
  name: string;
  annotation: string;
  value: string;
}

/**
 * Who looks at Git again after a commit to `repo`: the repo's ApplicationSet, the environment's
 * Application of that repo's folder, and for the apps repo every Application of an instance of
 * the environment (as the cache has them).
 */
export function refreshTargets(args: {
  repo: Repo;
  environment: string;
  applicationSet: string;
  parentApplication: string;
  applications: ReadonlyArray<{ metadata: { name: string; labels?: Record<string, string> } }>;
}): RefreshTarget[] {
  const application = (name: string): RefreshTarget => ({
    kind: 'Application',
    name,
    annotation: ARGOCD_ANNOTATION.refresh,
    value: 'normal',
  });
  const targets: RefreshTarget[] = [
    {
      kind: 'ApplicationSet',
      name: args.applicationSet,
      annotation: ARGOCD_ANNOTATION.applicationSetRefresh,
      value: 'true',
    },
    application(args.parentApplication),
  ];
  if (args.repo === 'apps')
    for (const app of args.applications)
      if (
        app.metadata.labels?.[LABEL.environment] === args.environment &&
        app.metadata.labels[LABEL.instance]
      )
        targets.push(application(app.metadata.name));
  return targets;
}

/**
 * True when a committed step of the part is not in the cluster yet as committed (also when its
 * folder's sync failed for good: envcat asks for a new one while it waits).
 */
export function waitsForArgo(observed: readonly StepObservation[], part: Part): boolean {
  return observed.some(
    (o) =>
      o.committed &&
      o.step.part === part &&
      (NOT_CAUGHT_UP_REASONS.has(o.state.reason) || o.state.reason === FOLDER_SYNC_FAILED_REASON),
  );
}

/**
 * Whether to ask again now: the wait has lasted `afterMs` (default REFRESH_AGAIN_MS), and no
 * refresh was asked for in that time (`askedAt` undefined: never).
 */
export function refreshAgainDue(args: {
  now: number;
  waitingSince: number;
  askedAt: number | undefined;
  afterMs?: number;
}): boolean {
  const { now, waitingSince, askedAt, afterMs = REFRESH_AGAIN_MS } = args;
  return now - waitingSince >= afterMs && now - (askedAt ?? 0) >= afterMs;
}
