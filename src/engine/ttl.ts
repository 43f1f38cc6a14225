/**
 * When each environment was created, and whether its time to live has run out (the verdict is
 * core's: status/ttl.ts). An environment's creation time is the date of the first commit of its
 * file: Git, not local state, so a restart or another replica knows it too. It is looked up once
 * in the background; the environment is looked at again when it is known, and when it expires.
 */
import type { Logger } from 'pino';
import { describeError, environmentFile, ttlVerdict, type ResolvedEnvironment } from '../core/index.js';
import type { GitOpsRepo } from '../gitops/types.js';
import type { Requeue } from '../shared/index.js';

export interface EnvironmentAgesOptions {
  platform: Pick<GitOpsRepo, 'log'>;
  now: () => number;
  queue: Requeue;
  logger: Logger;
}

export class EnvironmentAges {
  private readonly created = new Map<string, number>();
  /** Git lookups under way, so a burst of watch events starts each one once. */
  private readonly lookups = new Map<string, Promise<void>>();

  constructor(private readonly options: EnvironmentAgesOptions) {}

  /**
   * When the environment's file was first committed (ms since the epoch), once known. Unknown, it
   * is looked up when `lookUp` (its file is in Git), and the environment queued when found.
   */
  createdAt(name: string, lookUp: boolean): number | undefined {
    const created = this.created.get(name);
    if (created === undefined && lookUp) this.lookUp(name);
    return created;
  }

  /**
   * The commit that created the environment's file, made by this process (its file did not exist
   * on the head it was made on): that commit is the first of the file, no lookup needed.
   */
  noteCreated(name: string, at: number): void {
    this.created.set(name, at);
  }

  /** True once the environment's ttl has run out; until then it is queued again for when it does. */
  expired(name: string, env: ResolvedEnvironment): boolean {
    const verdict = ttlVerdict({
      ttlSeconds: env.ttlSeconds,
      createdAt: this.created.get(name),
      now: this.options.now(),
    });
    if (verdict.kind === 'unknown') this.lookUp(name);
    if (verdict.kind === 'alive') this.options.queue.addAfter(name, verdict.recheckInMs);
    return verdict.kind === 'expired';
  }

  /** Forget an environment (deleted). */
  forget(name: string): void {
    this.created.delete(name);
  }

  /** Resolves when the lookups started so far have finished. */
  async idle(): Promise<void> {
    while (this.lookups.size > 0) await Promise.all(this.lookups.values());
  }

  private lookUp(name: string): void {
    const key = `created:${name}`;
    if (this.lookups.has(key)) return;
    const lookup = this.load(name)
      .catch((error: unknown) =>
        this.options.logger.warn({ lookup: key, err: describeError(error) }, 'git lookup failed'),
      )
      .finally(() => this.lookups.delete(key));
    this.lookups.set(key, lookup);
  }

  private async load(name: string): Promise<void> {
    const commits = await this.options.platform.log(environmentFile(name), { limit: 1000 });
    const first = commits.at(-1);
    if (!first) return;
    this.created.set(name, Date.parse(first.date));
    this.options.queue.add(name);
  }
}
