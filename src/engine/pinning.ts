/**
 * Pins a request that names no versions: one committed to Git by hand, or one from before
 * versions were pinned. Validation resolved each such instance to the version its files already
 * render, or else to the newest its range allows (core/environment/versions.ts); this writes those
 * versions into environment.yaml, in the engine's first commit for the environment, so that a
 * version published later never changes what it runs.
 *
 * The rewrite is a compare-and-swap on environment.yaml as the engine read it (`mustMatch`): an
 * edit someone made since is never overwritten; the next pass reads that edit and pins it instead.
 */
import type { Logger } from 'pino';
import { ConflictError, environmentFile, toYaml, type ResolvedEnvironment } from '../core/index.js';
import type { Committer } from './committer.js';

export type PinOutcome =
  /** Every instance names its version already: nothing to do. */
  | 'pinned-already'
  /** environment.yaml now names every version. */
  | 'pinned'
  /** environment.yaml changed since it was read: nothing was written. */
  | 'changed-since';

export async function pinVersions(args: {
  committer: Pick<Committer, 'commit'>;
  env: ResolvedEnvironment;
  /** environment.yaml as it was read, and validated into `env`. */
  source: string;
  logger: Logger;
}): Promise<PinOutcome> {
  const { committer, env, source, logger } = args;
  const unpinned = env.instances.filter((i) => i.pinnedFrom !== 'requested');
  if (unpinned.length === 0) return 'pinned-already';
  const path = environmentFile(env.name);
  const described = unpinned.map((i) => `${i.name} (${i.entry.name}@${i.entry.version})`).join(', ');
  try {
    await committer.commit({
      environment: env.name,
      repo: 'platform',
      write: [{ path, content: toYaml(env.document) }],
      mustMatch: [{ path, content: source }],
      message: `envcat: ${env.name}: pin versions: ${described}`,
    });
  } catch (error) {
    if (!(error instanceof ConflictError) || error.path !== '/mustMatch/0') throw error;
    logger.info(
      { environment: env.name },
      'environment.yaml changed since it was read: it is pinned once the change is read',
    );
    return 'changed-since';
  }
  logger.info(
    { environment: env.name, instances: unpinned.map((i) => ({ [i.name]: i.entry.version })) },
    'versions pinned',
  );
  return 'pinned';
}
