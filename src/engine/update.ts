/**
 * Changing a running environment (`PUT /api/v1/environments/{name}`, `envcat env apply`): the
 * whole request is replaced (core mergeUpdate carries over what it leaves out: secret references,
 * pinned versions), validated as a create is, and committed as a compare-and-swap on the file it
 * was read from, so of two updates from the same read exactly one lands and the other is a 409.
 * A client that sends `metadata.resourceVersion` (from a GET) gets a 409 when the environment
 * changed since (the REST contract, as the Kubernetes API server: even when the request equals what is
 * committed now). A request without a resourceVersion that equals what is committed is a no-op (a
 * retry of an update whose answer was lost: secret-values.ts writes the Secrets it brings). The
 * engine applies the change in phases (core updatableSteps): changed
 * infrastructure first, then the apps that read it; a removed instance loses its apps, then its
 * infrastructure. An upgrade (`POST …/upgrade`, `envcat env upgrade`) is an update whose new request
 * core planUpgrade writes from the one read: the same checks, the same compare-and-swap. A literal
 * secret value for a running instance is a new value (secret-values.ts): the commit names its
 * revision, and the service writes it to the instance's Secret once the commit landed.
 */
import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import type { Logger } from 'pino';
import {
  ANNOTATION,
  ConflictError,
  InputError,
  NotFoundError,
  checkEnvironment,
  describeSecretChanges,
  environmentFile,
  isRecord,
  environmentPrefix,
  mergeUpdate,
  missingOutputs,
  parseYamlDocument,
  planUpgrade,
  renderEnvironmentFiles,
  renderStep,
  stepFiles,
  withSecretRevisions,
  type Catalog,
  type InstanceUpgrade,
  type JsonValue,
  type OutputValues,
  type Plan,
  type RenderOptions,
  type ResolvedEnvironment,
  type TtlPatch,
  type UpgradeRequest,
} from '../core/index.js';
import type { FileDiff } from '../api/contract.js';
import type { ClusterClient } from '../cluster/types.js';
import type { CommitResult, GitOpsRepo, RepoName } from '../gitops/types.js';
import { SecretValues, type SecretValuesRead } from './secret-values.js';

/** The resourceVersion of an environment: git's blob id of its environment.yaml (it changes with every edit). */
export function requestVersion(source: string): string {
  return createHash('sha1')
    .update(`blob ${Buffer.byteLength(source)}\0`)
    .update(source)
    .digest('hex');
}

export interface PreparedUpdate {
  env: ResolvedEnvironment;
  plan: Plan;
  /** environment.yaml as it is committed now, and as the update writes it. */
  before: string;
  after: string;
  /** Instances added and removed, by name. */
  added: string[];
  removed: string[];
  /** New secret values of running instances (names in `changes`; the values stay in `env`). */
  secretValues: SecretValuesRead;
}

export interface UpdateOptions {
  platform: Pick<GitOpsRepo, 'sync' | 'readTree' | 'commit'>;
  apps: Pick<GitOpsRepo, 'readTree'>;
  /** The running instances' `-params` Secrets, for new secret values (secret-values.ts). */
  cluster: Pick<ClusterClient, 'get' | 'create' | 'replace'>;
  render: RenderOptions;
  /** ENVCAT_NOTIFY_ALLOW, for the `spec.notify` URLs of the new request. */
  notifyAllow?: readonly string[];
  logger: Logger;
}

export class EnvironmentUpdates {
  private readonly values: SecretValues;

  constructor(private readonly options: UpdateOptions) {
    this.values = new SecretValues({ cluster: options.cluster });
  }

  /**
   * Everything an update checks, reading the request as the remote has it now; nothing is written.
   * NotFound for an environment that is not there, 409 for one being deleted or changed since the
   * client read it (a stale resourceVersion is a 409 whatever else the request holds, as the API
   * server's), 422 with every problem for a request that is not valid. The same update sent again
   * without a resourceVersion after its commit landed but before its secret values were written (a
   * crash, a lost answer) commits nothing and completes them.
   */
  async prepare(name: string, input: unknown, catalog: Catalog): Promise<PreparedUpdate> {
    const { before, current } = await this.read(name);
    const sent = isRecord(input) && isRecord(input.metadata) ? input.metadata.resourceVersion : undefined;
    if (sent !== undefined && sent !== requestVersion(before)) throw staleVersion(name);
    return this.build({ name, before, current, input, catalog });
  }

  /** Writes the update's new secret values, once its commit landed (secret-values.ts). */
  async writeSecretValues(update: PreparedUpdate): Promise<void> {
    await this.values.write(update.env, update.secretValues);
  }

  /**
   * An upgrade (core planUpgrade) of the request as the remote has it now: the same checks as an
   * update, and the commit is a compare-and-swap on the same read. 422 for a version that cannot
   * be taken or a parameter the target version does not accept.
   */
  async prepareUpgrade(
    name: string,
    request: UpgradeRequest,
    catalog: Catalog,
  ): Promise<PreparedUpdate & { upgrades: InstanceUpgrade[] }> {
    const { before, current } = await this.read(name);
    const plan = planUpgrade({ document: current, catalog, ...request });
    if ('problems' in plan) throw new InputError(plan.problems);
    const update = await this.build({ name, before, current, input: plan.document, catalog });
    return { ...update, upgrades: plan.upgrades };
  }

  /**
   * A ttl patch (core parseTtlPatch): the request as the remote has it now with only `spec.ttl`
   * changed (null removes it), checked and committed as an update.
   */
  async prepareTtl(name: string, patch: TtlPatch, catalog: Catalog): Promise<PreparedUpdate> {
    const { before, current } = await this.read(name);
    const input = structuredClone(current);
    const spec = isRecord(input.spec) ? input.spec : {};
    if (patch.ttl === null) delete spec.ttl;
    else spec.ttl = patch.ttl;
    input.spec = spec;
    if (patch.resourceVersion !== undefined && patch.resourceVersion !== requestVersion(before))
      throw staleVersion(name);
    return this.build({ name, before, current, input, catalog });
  }

  /** The request as the remote has it now; NotFound, or 409 for one being deleted. */
  private async read(name: string): Promise<{ before: string; current: Record<string, JsonValue> }> {
    await this.options.platform.sync();
    const path = environmentFile(name);
    const before = (await this.options.platform.readTree(path)).get(path);
    if (before === undefined)
      throw new NotFoundError(`no environment named "${name}"`, { path: '/metadata/name' });
    const current = parseYamlDocument(before);
    if (!isRecord(current))
      throw new ConflictError(`the committed request of "${name}" is not a document: fix it in Git`, {
        path: '/metadata/name',
      });
    const annotations =
      isRecord(current.metadata) && isRecord(current.metadata.annotations)
        ? current.metadata.annotations
        : {};
    if (typeof annotations[ANNOTATION.deletionRequested] === 'string')
      throw new ConflictError(`environment "${name}" is being deleted`, { path: '/metadata/name' });
    return { before, current: current as Record<string, JsonValue> };
  }

  private async build(args: {
    name: string;
    before: string;
    current: Record<string, JsonValue>;
    input: unknown;
    catalog: Catalog;
  }): Promise<PreparedUpdate> {
    const { name, before, current, input, catalog } = args;
    const path = environmentFile(name);
    const merged = mergeUpdate({ name, current, input, catalog });
    if ('problems' in merged) throw new InputError(merged.problems);
    const check = checkEnvironment(merged.document, catalog, { notifyAllow: this.options.notifyAllow ?? [] });
    if (!check.environment) throw new InputError(check.problems);
    const names = (document: unknown) =>
      new Set(
        (isRecord(document) && isRecord(document.spec) && Array.isArray(document.spec.catalogs)
          ? document.spec.catalogs
          : []
        ).flatMap((i) => (isRecord(i) && typeof i.name === 'string' ? [i.name] : [])),
      );
    const was = names(current);
    const is = new Set(check.environment.instances.map((i) => i.name));
    const added = [...is].filter((i) => !was.has(i));
    // New values of running instances' secrets count as a new revision, which environment.yaml
    // names; so do those of an added instance whose old Secret is still there (secret-values.ts).
    const secretValues = await this.values.changes(check.environment, added, current);
    const env = withSecretRevisions(check.environment, [...secretValues.changes, ...secretValues.leftovers]);
    const after = renderEnvironmentFiles(env, this.options.render).find((f) => f.path === path)?.content;
    if (after === undefined) throw new Error(`rendering ${name} gave no ${path}`);
    return {
      env,
      plan: check.plan as Plan,
      before,
      after,
      added,
      removed: [...was].filter((i) => !is.has(i)),
      secretValues,
    };
  }

  /**
   * Commits the prepared update if it changes anything, on the file as it was read; `message`
   * replaces the update's own (an upgrade names its versions).
   */
  async commit(update: PreparedUpdate, actor: string, message?: string): Promise<CommitResult | undefined> {
    if (update.after === update.before) return undefined;
    const { env } = update;
    const path = environmentFile(env.name);
    const secrets = update.secretValues.changes;
    const what = [
      ...(update.added.length > 0 ? [`add ${update.added.join(', ')}`] : []),
      ...(update.removed.length > 0 ? [`remove ${update.removed.join(', ')}`] : []),
      ...(secrets.length > 0 ? [`new secret values: ${describeSecretChanges(secrets)}`] : []),
    ];
    const instances = env.instances.map((i) => `${i.name} (${i.entry.name}@${i.entry.version})`).join(', ');
    try {
      return await this.options.platform.commit({
        write: [{ path, content: update.after }],
        remove: [],
        message:
          message ??
          `envcat: update environment ${env.name}${what.length > 0 ? ` (${what.join('; ')})` : ''}: ${instances} (by ${actor})`,
        mustMatch: [{ path, content: update.before }],
      });
    } catch (error) {
      if (error instanceof ConflictError && error.path === '/mustMatch/0') throw staleVersion(env.name);
      throw error;
    }
  }
}

/**
 * What the update changes in each repo: the environment's files as Git holds them against the
 * files it renders to, with the outputs the cluster reports now (a step whose outputs are not
 * there yet is listed as pending). Files of steps that are not committed yet are listed too: the
 * engine commits them in their wave.
 */
export async function updateDiff(args: {
  update: PreparedUpdate;
  outputs: OutputValues;
  options: Pick<UpdateOptions, 'platform' | 'apps' | 'render'>;
}): Promise<FileDiff[]> {
  const { update, outputs, options } = args;
  const { env, plan } = update;
  const prefix = environmentPrefix(env.name);
  const [platform, apps] = await Promise.all([
    options.platform.readTree(prefix),
    options.apps.readTree(prefix),
  ]);
  const committed: Record<RepoName, Map<string, string>> = { platform, apps };
  const rendered: Record<RepoName, Map<string, string>> = { platform: new Map(), apps: new Map() };
  const pending: FileDiff[] = [];
  for (const file of renderEnvironmentFiles(env, options.render))
    rendered.platform.set(file.path, file.content);
  for (const step of plan.steps) {
    if (missingOutputs(env, step, outputs).length > 0) {
      for (const file of stepFiles(env, step))
        pending.push({ repo: file.repo, path: file.path, change: 'pending', step: step.id });
      continue;
    }
    for (const file of renderStep({ env, step, outputs, options: options.render }).files)
      rendered[file.repo].set(file.path, file.content);
  }
  const pendingPaths = new Set(pending.map((f) => `${f.repo}:${f.path}`));
  const diffs: FileDiff[] = [];
  for (const repo of ['platform', 'apps'] as const) {
    const paths = new Set([...committed[repo].keys(), ...rendered[repo].keys()]);
    for (const path of [...paths].sort()) {
      const before = committed[repo].get(path);
      const after = rendered[repo].get(path);
      if (before === after) continue;
      if (after === undefined && [...pendingPaths].some((p) => `${repo}:${path}`.startsWith(p))) continue;
      const change = before === undefined ? 'added' : after === undefined ? 'removed' : 'changed';
      diffs.push({
        repo,
        path,
        change,
        diff: createTwoFilesPatch(`a/${path}`, `b/${path}`, before ?? '', after ?? '', '', '', {
          context: 3,
        }),
      });
    }
  }
  return [...diffs, ...pending];
}

function staleVersion(name: string, options: { cause?: unknown } = {}): ConflictError {
  return new ConflictError(
    `environment "${name}" changed since it was read: get it again, and apply your change to what it is now`,
    { path: '/metadata/resourceVersion', ...options },
  );
}
