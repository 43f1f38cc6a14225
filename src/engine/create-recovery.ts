/**
 * A create that did not finish: cut off between its commit and its Secrets (a crash, a lost
 * answer), or whose Secrets could not be written. The same request again completes the first
 * kind; the second is withdrawn, which the engine treats as a deletion. Both are the create's
 * (service.ts), kept apart so that the create reads in one screen.
 */
import type { Logger } from 'pino';
import {
  describeError,
  environmentFile,
  labelSafeVersion,
  parameterSecretName,
  pinnedVersions,
  type ResolvedEnvironment,
} from '../core/index.js';
import type { ClusterClient } from '../cluster/types.js';
import type { GitOpsRepo } from '../gitops/types.js';
import type { EnvironmentDocuments } from './documents.js';
import type { Engine } from './engine.js';
import { secretParameters, type ParameterSecrets } from './parameter-secrets.js';
import type { Actor } from './service.js';

export class CreateRecovery {
  constructor(
    private readonly options: {
      engine: Engine;
      platform: GitOpsRepo;
      cluster: ClusterClient;
      secrets: ParameterSecrets;
      documents: EnvironmentDocuments;
      logger: Logger;
    },
  ) {}

  /** The versions, as labels carry them, of the committed request named like `input`, by instance. */
  committedVersions(input: unknown): Map<string, string[]> {
    const name = (input as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    if (typeof name !== 'string') return new Map();
    const document = this.options.documents.of(name, this.options.engine.environmentSource(name));
    const pinned = [...pinnedVersions(document?.spec)];
    return new Map(pinned.map(([instance, version]) => [instance, [labelSafeVersion(version)]]));
  }

  /**
   * Undoes a create whose Secrets could not be written: this request's Secrets and Namespace are
   * gone already (writeSecretParameters); the environment file is removed, and the engine deletes
   * whatever it may have committed meanwhile in reverse order, then the namespace claim.
   */
  async withdraw(env: ResolvedEnvironment, actor: Actor): Promise<void> {
    const file = environmentFile(env.name);
    try {
      const result = await this.options.platform.commit({
        write: [],
        remove: [file],
        message: `envcat: withdraw environment ${env.name}: its Secrets could not be written (by ${actor.name})`,
      });
      this.options.engine.noteCommit('platform', { write: [], remove: [file] }, result);
      this.options.engine.enqueue(env.name);
    } catch (error) {
      this.options.logger.error(
        { environment: env.name, err: describeError(error) },
        'withdrawing a create whose Secrets failed did not commit; the environment stays, its step reports the missing Secret',
      );
    }
  }

  /**
   * Completes a create that was cut off after its commit and before its Secrets: when this request
   * renders exactly the committed environment.yaml, holds its namespace claim, and at least one
   * of its `-params` Secrets is missing, the Secrets are written now and the create succeeds. The
   * secret values are not in Git, so nothing else could finish it. Two such calls at once (or this
   * one and the original still running) are settled by the Secrets' own create: the first Secret
   * decides, and a loser with other values gets a 409 (writeSecretParameters).
   */
  async resumeStrandedCreate(
    env: ResolvedEnvironment,
    files: Array<{ path: string; content: string }>,
    actor: Actor,
  ): Promise<boolean> {
    const engine = this.options.engine;
    const committed = engine.environmentSource(env.name);
    const rendered = files.find((f) => f.path === environmentFile(env.name))?.content;
    if (committed === undefined || committed !== rendered) return false;
    if (engine.namespaceOwner(env.namespace) !== env.name) return false;
    const expected = secretParameters(env);
    if (expected.length === 0) return false;
    const present = await Promise.all(
      expected.map(({ instance }) =>
        this.options.cluster.get({
          apiVersion: 'v1',
          kind: 'Secret',
          name: parameterSecretName(env.name, instance.name),
          namespace: env.namespace,
        }),
      ),
    );
    if (present.every((secret) => secret !== undefined)) return false;
    const written = await this.options.secrets.write(env);
    this.options.logger.info(
      { environment: env.name, actor: actor.name, secrets: written },
      'environment create resumed: the Secrets a cut-off create did not write are written',
    );
    engine.enqueue(env.name);
    return true;
  }
}
