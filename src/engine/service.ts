/**
 * What the REST API and the CLI ask of envcat: create, read, list, update, retry and delete
 * environments (catalog entries: catalog-service.ts). Creating writes the literal secret values to a Kubernetes Secret
 * and the request (without them) to the platform repo; the reconciler does the rest.
 */
import type { Logger } from 'pino';
import type { BoundaryHook } from './boundaries.js';
import {
  ANNOTATION,
  ConflictError,
  ExternalError,
  InputError,
  UnavailableError,
  NotFoundError,
  ENVIRONMENTS_DIR,
  RETRY_AT_ANNOTATION,
  checkEnvironment,
  environmentFile,
  namespaceClaim,
  namespaceClaimDir,
  renderEnvironment,
  renderEnvironmentFiles,
  toYaml,
  type RenderOptions,
  type JsonValue,
  type ResolvedEnvironment,
  describeUpgrades,
  upgradeVerb,
  type UpgradeRequest,
  type TtlPatch,
  dns1123LabelProblem,
  reservedNamespaceProblem,
  type Problem,
  planEdges,
} from '../core/index.js';
import type {
  Availability,
  DryRun,
  EnvironmentResources,
  EnvironmentStatus,
  EnvironmentSummary,
  EnvironmentView,
  RefreshAccepted,
  UpdateDryRun,
} from '../api/contract.js';
import type { ClusterClient } from '../cluster/types.js';
import type { GitOpsRepo } from '../gitops/types.js';
import type { CatalogStore } from './catalog-store.js';
import type { Engine } from './engine.js';
import type { EnvironmentStatusView } from './status-board.js';
import { EnvironmentUpdates, updateDiff, type PreparedUpdate } from './update.js';
import { createTwoFilesPatch } from 'diff';
import { CatalogService } from './catalog-service.js';
import { CreateRecovery } from './create-recovery.js';
import { environmentRecord, environmentSummary } from './environment-views.js';
import { parseDocument, type EnvironmentDocuments } from './documents.js';
import { ParameterSecrets } from './parameter-secrets.js';
import { messageAbout } from './repo-view.js';
import { environmentResources, type ResourceLinks } from './resources.js';

/**
 * An environment as the service knows it: the contract's view without `status.cluster`, which the
 * API adds (it knows which cluster it runs against).
 */
export type EnvironmentRecord = Omit<EnvironmentView, 'status'> & {
  status: Omit<EnvironmentStatus, 'cluster'>;
};

export interface Actor {
  /** Who asked (a token's subject), for commit messages and the audit log. */
  name: string;
}

export class EnvironmentService {
  private readonly log: Logger;
  private readonly updates: EnvironmentUpdates;
  private readonly documents: EnvironmentDocuments;
  private readonly secrets: ParameterSecrets;
  private readonly recovery: CreateRecovery;
  /** Reading and publishing catalog entries (catalog-service.ts). */
  readonly catalog: CatalogService;

  constructor(
    private readonly options: {
      engine: Engine;
      catalogs: CatalogStore;
      platform: GitOpsRepo;
      apps: GitOpsRepo;
      cluster: ClusterClient;
      render: RenderOptions;
      logger: Logger;
      /** Told as each step boundary is passed (src/engine/boundaries.ts; the kill -9 tests' hook). */
      atBoundary?: BoundaryHook;
      /** Where the resources view links to (Argo CD, the repos' web pages). */
      links?: ResourceLinks;
      /** ENVCAT_NOTIFY_ALLOW: a request's `spec.notify` URLs are checked against it (checkEnvironment). */
      notifyAllow?: readonly string[];
    },
  ) {
    this.log = options.logger.child({ component: 'service' });
    this.documents = options.engine.parser.documents;
    this.secrets = new ParameterSecrets({ cluster: options.cluster, logger: this.log });
    this.recovery = new CreateRecovery({
      engine: options.engine,
      platform: options.platform,
      cluster: options.cluster,
      secrets: this.secrets,
      documents: this.documents,
      logger: this.log,
    });
    this.catalog = new CatalogService({
      engine: options.engine,
      catalogs: options.catalogs,
      documents: this.documents,
      logger: this.log,
    });
    this.updates = new EnvironmentUpdates({
      platform: options.platform,
      apps: options.apps,
      cluster: options.cluster,
      render: options.render,
      notifyAllow: options.notifyAllow ?? [],
      logger: this.log,
    });
  }

  /**
   * Replaces a running environment's request (see update.ts): 409 when it changed since the client
   * read it, 422 for an invalid one or a change that is not allowed. A secret parameter left out
   * keeps its value; a new instance's secret values go to its Secret as in a create, a running
   * one's once the commit landed (update.ts). Answers once the change is committed; the engine
   * applies it in phases.
   */
  async update(name: string, input: unknown, actor: Actor): Promise<EnvironmentRecord> {
    return this.applyUpdate(await this.prepareUpdate(name, input), actor);
  }

  /** What an update would do, without doing it: the plan and a unified diff of every file per repo. */
  async updateDryRun(name: string, input: unknown): Promise<UpdateDryRun> {
    return this.dryRunOf(await this.prepareUpdate(name, input));
  }

  /**
   * Moves instances to another version of their entry (core planUpgrade; `to` older is a
   * rollback), committed as an update is, with a message naming each instance's versions. Nothing
   * to move is no commit.
   */
  async upgrade(name: string, request: UpgradeRequest, actor: Actor): Promise<EnvironmentRecord> {
    const { catalog } = this.options.catalogs.current();
    const update = await this.updates.prepareUpgrade(name, request, catalog);
    const message = `envcat: ${upgradeVerb(update.upgrades)} environment ${name}: ${describeUpgrades(update.upgrades)} (by ${actor.name})`;
    return this.applyUpdate(update, actor, message);
  }

  /**
   * Sets (or removes) the ttl alone (`PATCH …/{name}`; core parseTtlPatch), committed as an update
   * is: a compare-and-swap on the request as read. The engine's next pass counts the new ttl.
   */
  async patchTtl(name: string, patch: TtlPatch, actor: Actor): Promise<EnvironmentRecord> {
    const update = await this.updates.prepareTtl(name, patch, this.options.catalogs.current().catalog);
    const what = patch.ttl === null ? 'remove the ttl of' : `set the ttl to ${patch.ttl} of`;
    return this.applyUpdate(update, actor, `envcat: ${what} environment ${name} (by ${actor.name})`);
  }

  /** What an upgrade would do: the update's dry run, and which instance moves from which version to which. */
  async upgradeDryRun(name: string, request: UpgradeRequest): Promise<UpdateDryRun> {
    const { catalog } = this.options.catalogs.current();
    const update = await this.updates.prepareUpgrade(name, request, catalog);
    return { ...(await this.dryRunOf(update)), upgrades: update.upgrades };
  }

  private async applyUpdate(
    update: PreparedUpdate,
    actor: Actor,
    message?: string,
  ): Promise<EnvironmentRecord> {
    const name = update.env.name;
    const result = await this.updates.commit(update, actor.name, message);
    if (result) {
      this.options.engine.noteCommit(
        'platform',
        { write: [{ path: environmentFile(name), content: update.after }], remove: [] },
        result,
      );
      this.options.atBoundary?.('update:committed');
    }
    await this.writeUpdateSecrets(update, !!result);
    this.options.atBoundary?.('update:secrets-written');
    this.log.info(
      {
        environment: name,
        actor: actor.name,
        added: update.added,
        removed: update.removed,
        secretValues: update.secretValues.changes.map((c) => ({
          instance: c.instance,
          parameters: c.parameters,
        })),
        changed: !!result,
      },
      'environment updated',
    );
    // Answered once the engine has planned it: the status shows what the change moves.
    if (result) await this.options.engine.planned(name);
    else this.options.engine.enqueue(name);
    return this.get(name);
  }

  /**
   * New instances' Secrets, as a create writes them; then the new values of running ones. When a
   * write fails after the commit landed, the engine looks at once: the steps that read the Secret
   * show that they wait for it (the same update sent again writes it).
   */
  private async writeUpdateSecrets(update: PreparedUpdate, committed: boolean): Promise<void> {
    try {
      await this.secrets.write(update.env, { only: update.added, leftovers: update.secretValues.leftovers });
      await this.updates.writeSecretValues(update);
    } catch (error) {
      if (committed) this.options.engine.enqueue(update.env.name);
      throw error;
    }
  }

  private async dryRunOf(update: PreparedUpdate): Promise<UpdateDryRun> {
    const name = update.env.name;
    const files = await updateDiff({
      update,
      outputs: this.options.engine.outputsOf(update.env),
      options: { platform: this.options.platform, apps: this.options.apps, render: this.options.render },
    });
    const environmentDiff = createTwoFilesPatch(
      `a/${environmentFile(name)}`,
      `b/${environmentFile(name)}`,
      update.before,
      update.after,
    );
    const secrets = update.secretValues.changes;
    return {
      plan: update.plan,
      added: update.added,
      removed: update.removed,
      ...(secrets.length > 0
        ? { secrets: secrets.map((c) => ({ instance: c.instance, parameters: c.parameters })) }
        : {}),
      files: [
        ...(update.after === update.before
          ? []
          : [
              {
                repo: 'platform' as const,
                path: environmentFile(name),
                change: 'changed' as const,
                diff: environmentDiff,
              },
            ]),
        ...files.filter((f) => f.path !== environmentFile(name)),
      ],
    };
  }

  private async prepareUpdate(name: string, input: unknown): Promise<PreparedUpdate> {
    return this.updates.prepare(name, input, this.options.catalogs.current().catalog);
  }

  /**
   * Validates everything first; nothing is written for an invalid request. Then, in this order:
   * 1. the name and the namespace are claimed in Git, in one commit, by compare-and-swap
   *    (`mustNotExist`): of two requests at the same moment exactly one gets them;
   * 2. only then the literal secret values go to Secrets (the names are ours now);
   * 3. if that fails, this request's own Secrets are deleted (by uid, never a newer one) and the
   *    environment file is withdrawn, which the engine treats as a deletion (reverse order, then
   *    the namespace claim last).
   * A create cut off between 1 and 2 (a crash, a lost answer) left its environment committed
   * without Secrets: the same request again completes it (see `resumeStrandedCreate`).
   */
  async create(input: unknown, actor: Actor): Promise<EnvironmentRecord> {
    // Meanwhile the engine starts fewer passes: a burst of creates is answered first.
    return this.createNow(input, actor).finally(this.options.engine.apiRequest());
  }

  private async createNow(input: unknown, actor: Actor): Promise<EnvironmentRecord> {
    const catalog = this.options.catalogs.current().catalog.for('new');
    // A create resumed after a cut-off (resumeStrandedCreate) resolves to the versions its first
    // attempt committed, whatever was published since; for any other request they do not apply.
    const committed = this.recovery.committedVersions(input);
    const check = checkEnvironment(input, catalog, {
      rendered: (instance) => committed.get(instance) ?? [],
      notifyAllow: this.options.notifyAllow ?? [],
    });
    if (!check.environment) throw new InputError(check.problems);
    const env = check.environment;
    const engine = this.options.engine;

    const files = [
      ...renderEnvironmentFiles(env, this.options.render).map((f) => ({ path: f.path, content: f.content })),
      namespaceClaim(env.namespace, env.name),
    ];
    if (await this.recovery.resumeStrandedCreate(env, files, actor)) return this.get(env.name);
    this.assertAvailable(env, input);

    const instances = env.instances.map((i) => `${i.name} (${i.entry.name}@${i.entry.version})`).join(', ');
    let result;
    try {
      result = await this.options.platform.commit({
        write: files,
        remove: [],
        message: `envcat: create environment ${env.name}: ${instances} (by ${actor.name})`,
        mustNotExist: [
          environmentFile(env.name),
          `${ENVIRONMENTS_DIR}/${env.name}`,
          namespaceClaimDir(env.namespace),
        ],
      });
    } catch (error) {
      if (error instanceof ConflictError) throw this.takenError(error, env, input);
      throw unavailable(error, 'nothing was created');
    }
    const written = files.find((f) => f.path === environmentFile(env.name))!;
    this.documents.written(env.name, written.content, env.document);
    engine.noteCommit('platform', { write: files, remove: [] }, result);
    engine.noteCreated(env.name, result);
    this.options.atBoundary?.('create:committed');

    try {
      await this.secrets.write(env);
    } catch (error) {
      // A conflict is the same request resumed by another call with other secret values, which
      // won the Secrets: the environment is that call's now, not ours to withdraw.
      if (!(error instanceof ConflictError)) await this.recovery.withdraw(env, actor);
      throw error;
    }
    this.options.atBoundary?.('create:secrets-written');
    this.log.info(
      { environment: env.name, actor: actor.name, instances: env.instances.length },
      'environment created',
    );
    engine.enqueue(env.name);
    // Its history is its creation commit, as the commit's result describes it: reading it back from
    // Git (a `git log` per repo) had the answers of a burst of creates wait behind every other's.
    const made = result.commit;
    if (!made) return this.get(env.name);
    const message = messageAbout(env.name, made.message);
    return this.get(env.name, [{ repo: 'platform', sha: made.sha, message, date: made.date }]);
  }

  /**
   * What creating would do, without doing it: the plan, and the files each repo receives (phase 1
   * rendered now; phase 2 files are listed, their content waits for the infrastructure outputs).
   */
  dryRun(input: unknown): DryRun {
    const catalog = this.options.catalogs.current().catalog.for('new');
    const check = checkEnvironment(input, catalog, { notifyAllow: this.options.notifyAllow ?? [] });
    if (!check.environment || !check.plan) throw new InputError(check.problems);
    const env = check.environment;
    this.assertAvailable(env, input);
    const rendered = renderEnvironment({ env, plan: check.plan, options: this.options.render });
    // Rendered files hold no secret value (those go to Secrets only), so their content is shown.
    const files: DryRun['files'] = rendered.files.map((f) => ({
      repo: f.repo,
      path: f.path,
      ...(f.step ? { step: f.step } : {}),
      content: f.content,
    }));
    for (const { step, files: coming } of rendered.pending)
      files.push(...coming.map((f) => ({ repo: f.repo, path: f.path, step, pending: true })));
    return {
      plan: check.plan,
      edges: planEdges(env, check.plan),
      files,
      secrets: rendered.secrets.map((s) => ({ namespace: s.namespace, name: s.name })),
    };
  }

  /** The environment, with its history read from Git unless the caller has it (a create: its commit). */
  async get(name: string, history?: EnvironmentRecord['status']['commits']): Promise<EnvironmentRecord> {
    const source = this.options.engine.environmentSource(name);
    const status = this.options.engine.status(name);
    if (source === undefined && !status)
      throw new NotFoundError(`no environment named "${name}"`, { path: '/metadata/name' });
    const document = this.documents.of(name, source) ?? {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name },
    };
    const commits = history ?? (await this.options.engine.commits(name));
    return environmentRecord({
      document,
      source,
      status,
      commits,
      createdAt: this.options.engine.createdAtOf(name) ?? commits.at(-1)?.date,
      catalog: this.options.catalogs.current().catalog,
    });
  }

  /** The plan's graph and each step's Workspace or Application as the controllers report it. */
  async resources(name: string): Promise<EnvironmentResources> {
    await this.get(name);
    return environmentResources({
      name,
      observed: this.options.engine.stepObjects(name),
      workspaceApi: this.options.render.workspaceApi,
      argocdNamespace: this.options.render.argocd.namespace,
      links: this.options.links ?? {},
      now: new Date(),
    });
  }

  /** Asks Argo CD to look at the environment's folders and Applications now (Argo CD's Refresh). */
  async refresh(name: string, actor: Actor): Promise<RefreshAccepted> {
    await this.get(name);
    const targets = this.options.engine.refreshArgo(name);
    this.log.info({ environment: name, actor: actor.name }, 'Argo CD refresh asked');
    return { name, refreshing: targets.map((t) => ({ kind: t.kind, name: t.name })) };
  }

  list(): EnvironmentSummary[] {
    const engine = this.options.engine;
    const { catalog } = this.options.catalogs.current();
    return engine.knownEnvironments().map((name) =>
      environmentSummary({
        name,
        document: this.documents.of(name, engine.environmentSource(name)),
        status: engine.status(name),
        createdAt: engine.createdAtOf(name),
        catalog,
      }),
    );
  }

  /** Marks the environment for deletion in Git; the reconciler removes it in reverse order. */
  async delete(name: string, actor: Actor): Promise<void> {
    const source = this.options.engine.environmentSource(name);
    if (source === undefined)
      throw new NotFoundError(`no environment named "${name}"`, { path: '/metadata/name' });
    const document = parseDocument(source) ?? {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name },
    };
    const metadata = document.metadata as { annotations?: Record<string, JsonValue> };
    if (typeof metadata.annotations?.[ANNOTATION.deletionRequested] === 'string') return;
    metadata.annotations = {
      ...metadata.annotations,
      [ANNOTATION.deletionRequested]: new Date().toISOString(),
    };
    const file = { path: environmentFile(name), content: toYaml(document) };
    const result = await this.options.platform
      .commit({ write: [file], remove: [], message: `envcat: delete environment ${name} (by ${actor.name})` })
      .catch((error: unknown) => {
        throw unavailable(error, 'nothing was changed');
      });
    this.options.engine.noteCommit('platform', { write: [file], remove: [] }, result);
    this.options.atBoundary?.('delete:requested');
    this.log.info({ environment: name, actor: actor.name }, 'environment deletion requested');
    this.options.engine.enqueue(name);
  }

  /** Status updates of one environment until `signal` aborts; ends after the environment is deleted. */
  watch(
    name: string,
    listener: (event: { type: 'status'; status: EnvironmentStatusView } | { type: 'deleted' }) => void,
  ): () => void {
    const engine = this.options.engine;
    const onStatus = (changed: string, status: EnvironmentStatusView) => {
      if (changed === name) listener({ type: 'status', status });
    };
    const onDeleted = (deleted: string) => {
      if (deleted === name) listener({ type: 'deleted' });
    };
    engine.on('status', onStatus);
    engine.on('deleted', onDeleted);
    return () => {
      engine.off('status', onStatus);
      engine.off('deleted', onDeleted);
    };
  }

  /**
   * The name and the namespace must be free (the same checks for a dry run as for a create). The
   * answer never says whose they are: a developer may not see other developers' environments.
   * This is the early answer; the claim in Git (see create) is what decides a race.
   */
  private assertAvailable(env: ResolvedEnvironment, input: unknown): void {
    const taken = this.taken(env.name, env.namespace);
    if (taken === 'name') throw nameTaken(env.name);
    if (taken === 'namespace') throw namespaceTaken(env.namespace, input);
  }

  private taken(name: string, namespace: string): 'name' | 'namespace' | undefined {
    const engine = this.options.engine;
    if (engine.environmentSource(name) !== undefined || engine.knownEnvironments().includes(name))
      return 'name';
    const claimedBy = engine.namespaceOwner(namespace);
    if (claimedBy !== undefined && claimedBy !== name) return 'namespace';
    for (const other of engine.knownEnvironments())
      if (other !== name && this.peekNamespace(other) === namespace) return 'namespace';
    return undefined;
  }

  /**
   * Whether a create could take this name and namespace now (the wizard asks at its first step):
   * the same checks as a create's, answered with problems at the create's pointers. Like a create's
   * answer, it says "taken" and never whose. The claim in Git still decides a race.
   */
  availability(name: string, namespace: string | undefined): Availability {
    const effective = namespace === undefined || namespace === '' ? name : namespace;
    const given = effective !== name || (namespace !== undefined && namespace !== '');
    const nsPointer = given ? '/spec/namespace' : '/metadata/name';
    const errors: Problem[] = [];
    const nameProblem = dns1123LabelProblem(name);
    if (nameProblem) errors.push({ path: '/metadata/name', message: nameProblem });
    const nsProblem = dns1123LabelProblem(effective);
    if (nsProblem && given) errors.push({ path: nsPointer, message: nsProblem });
    const reserved = nsProblem ? undefined : reservedNamespaceProblem(effective);
    if (reserved) errors.push({ path: nsPointer, message: reserved });
    if (errors.length === 0) {
      const spec = given ? { spec: { namespace: effective } } : {};
      const taken = this.taken(name, effective);
      const error = taken === 'name' ? nameTaken(name) : taken ? namespaceTaken(effective, spec) : undefined;
      if (error) errors.push({ path: error.path ?? '', message: error.message });
    }
    return { name, namespace: effective, available: errors.length === 0, errors };
  }

  private peekNamespace(name: string): string | undefined {
    const document = this.documents.of(name, this.options.engine.environmentSource(name));
    const namespace = (document?.spec as { namespace?: unknown } | undefined)?.namespace;
    return typeof namespace === 'string' ? namespace : name;
  }

  /** The ConflictError of a lost race, told as the early check would have told it. */
  private takenError(error: ConflictError, env: ResolvedEnvironment, input: unknown): ConflictError {
    const which = /^\/mustNotExist\/(\d+)$/.exec(error.path ?? '')?.[1];
    if (which === '0' || which === '1') return nameTaken(env.name);
    if (which === '2') return namespaceTaken(env.namespace, input);
    return error;
  }

  /**
   * Re-runs the failed steps once their cause is fixed (`envcat env retry`): records the time in the
   * committed request (`envcat.io/retry-at`, so graces and timeouts count from it, after a restart
   * too) and the engine asks each step's controller to try again (retry-nudge.ts).
   */
  async retry(name: string, actor: Actor): Promise<EnvironmentRecord> {
    const engine = this.options.engine;
    // The request as the remote has it now: a fix committed a moment ago must not be overwritten.
    await this.options.platform.sync();
    const path = environmentFile(name);
    const source = (await this.options.platform.readTree(path)).get(path) ?? engine.environmentSource(name);
    const document = parseDocument(source);
    if (source === undefined || !document)
      throw new NotFoundError(`no environment named "${name}"`, { path: '/metadata/name' });
    const metadata = document.metadata as { annotations?: Record<string, JsonValue> };
    if (typeof metadata.annotations?.[ANNOTATION.deletionRequested] === 'string')
      throw new ConflictError(`environment "${name}" is being deleted`, { path: '/metadata/name' });
    if (engine.status(name)?.phase === 'Invalid')
      throw new ConflictError(`environment "${name}" is Invalid: fix the request (env apply) instead`, {
        path: '/metadata/name',
      });
    metadata.annotations = { ...metadata.annotations, [RETRY_AT_ANNOTATION]: new Date().toISOString() };
    const file = { path, content: toYaml(document) };
    const result = await this.options.platform.commit({
      write: [file],
      remove: [],
      message: `envcat: retry environment ${name} (by ${actor.name})`,
    });
    engine.noteCommit('platform', { write: [file], remove: [] }, result);
    this.log.info({ environment: name, actor: actor.name }, 'environment retry requested');
    engine.enqueue(name);
    return this.get(name);
  }
}

/** A Git remote that cannot be written now: a 503 saying so, with what was (not) done. */
function unavailable(error: unknown, outcome: string): unknown {
  if (!(error instanceof ExternalError)) return error;
  return new UnavailableError(
    `the platform repo cannot be written now (${error.message}); ${outcome}: send the request again later`,
    {
      cause: error,
    },
  );
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(`the environment name "${name}" is already taken`, { path: '/metadata/name' });
}

/** Points at spec.namespace when the request gave one, else at the name it defaults to. */
function namespaceTaken(namespace: string, input: unknown): ConflictError {
  const given = (input as { spec?: { namespace?: unknown } } | undefined)?.spec?.namespace !== undefined;
  return new ConflictError(
    given
      ? `the namespace "${namespace}" is already taken`
      : `the namespace "${namespace}" (the environment's name, as no spec.namespace is given) is already taken`,
    { path: given ? '/spec/namespace' : '/metadata/name' },
  );
}
