/**
 * What the REST API and the CLI ask of envcat: create, read, list and delete environments, and
 * read or publish catalog entries. Creating writes the literal secret values to a Kubernetes Secret
 * and the request (without them) to the platform repo; the reconciler does the rest.
 */
import type { Logger } from 'pino';
import {
  ConflictError,
  InputError,
  NotFoundError,
  checkEnvironment,
  parameterSecretName,
  parseYamlDocument,
  renderEnvironment,
  renderEnvironmentFiles,
  toYaml,
  type Plan,
  type RenderOptions,
  type CatalogEntry,
  type Condition,
  type EnvironmentPhase,
  type JsonValue,
  type Problem,
  type ResolvedEnvironment,
  type StepStatus,
} from '../core/index.js';
import type { ClusterClient } from '../cluster/types.js';
import type { GitOpsRepo, RepoName } from '../gitops/types.js';
import type { CatalogStore } from './catalog-store.js';
import { DELETION_ANNOTATION, ENVIRONMENTS_DIR, environmentFile } from './desired-state.js';
import type { Engine, EnvironmentStatusView } from './engine.js';

export interface EnvironmentView {
  apiVersion: string;
  kind: string;
  metadata: Record<string, JsonValue>;
  spec?: Record<string, JsonValue>;
  status: {
    phase: EnvironmentPhase;
    message: string;
    conditions: Condition[];
    steps: StepStatus[];
    outputs: Record<string, Record<string, JsonValue>>;
    commits: Array<{ repo: RepoName; sha: string; message: string; date: string }>;
    errors?: Problem[];
    observedAt: string;
  };
}

export interface EnvironmentSummary {
  name: string;
  namespace?: string;
  type?: string;
  owner?: string;
  description?: string;
  ttl?: string;
  createdAt?: string;
  phase: EnvironmentPhase;
  message: string;
  instances: Array<{ name: string; entry: string }>;
}

export interface DryRun {
  plan: Plan;
  files: Array<{ repo: RepoName; path: string; step?: string; pending?: boolean }>;
  /** Secrets the engine would create (names only). */
  secrets: Array<{ namespace: string; name: string }>;
}

export interface Actor {
  /** Who asked (a token's subject), for commit messages and the audit log. */
  name: string;
}

export class EnvironmentService {
  private readonly log: Logger;

  constructor(
    private readonly options: {
      engine: Engine;
      catalogs: CatalogStore;
      platform: GitOpsRepo;
      cluster: ClusterClient;
      render: RenderOptions;
      logger: Logger;
    },
  ) {
    this.log = options.logger.child({ component: 'service' });
  }

  /** Validates everything first; nothing is written for an invalid request. */
  async create(input: unknown, actor: Actor): Promise<EnvironmentView> {
    const { catalog } = this.options.catalogs.current();
    const check = checkEnvironment(input, catalog);
    if (!check.environment) throw new InputError(check.problems);
    const env = check.environment;
    const engine = this.options.engine;
    this.assertAvailable(env);

    const createdSecrets = await this.writeSecretParameters(env);
    const files = renderEnvironmentFiles(env, this.options.render).map((f) => ({
      path: f.path,
      content: f.content,
    }));
    const instances = env.instances.map((i) => `${i.name} (${i.entry.name}@${i.entry.version})`).join(', ');
    try {
      const result = await this.options.platform.commit({
        write: files,
        remove: [],
        message: `envcat: create environment ${env.name}: ${instances} (by ${actor.name})`,
        mustNotExist: [environmentFile(env.name)],
      });
      engine.noteCommit('platform', { write: files, remove: [] }, result.sha);
    } catch (error) {
      await this.deleteSecrets(createdSecrets);
      throw error;
    }
    this.log.info(
      { environment: env.name, actor: actor.name, instances: env.instances.length },
      'environment created',
    );
    engine.enqueue(env.name);
    return this.get(env.name);
  }

  /**
   * What creating would do, without doing it: the plan, and the files each repo receives (phase 1
   * rendered now; phase 2 files are listed, their content waits for the infrastructure outputs).
   */
  dryRun(input: unknown): DryRun {
    const { catalog } = this.options.catalogs.current();
    const check = checkEnvironment(input, catalog);
    if (!check.environment || !check.plan) throw new InputError(check.problems);
    const env = check.environment;
    this.assertAvailable(env);
    const rendered = renderEnvironment({ env, plan: check.plan, options: this.options.render });
    const files: DryRun['files'] = rendered.files.map((f) => ({
      repo: f.repo,
      path: f.path,
      ...(f.step ? { step: f.step } : {}),
    }));
    for (const { step } of rendered.pending) {
      const [instanceName, part] = step.split('/');
      const instance = env.instances.find((i) => i.name === instanceName);
      if (!instance) continue;
      const dir = `${ENVIRONMENTS_DIR}/${env.name}`;
      if (part === 'infra')
        files.push({ repo: 'platform', path: `${dir}/infra/${instance.name}.yaml`, step, pending: true });
      else {
        files.push({ repo: 'apps', path: `${dir}/apps/${instance.name}.yaml`, step, pending: true });
        for (const template of instance.entry.manifests ?? []) {
          const relative = template.path.split('/').slice(1).join('/') || template.path;
          files.push({ repo: 'apps', path: `${dir}/apps/${instance.name}/${relative}`, step, pending: true });
        }
      }
    }
    return {
      plan: check.plan,
      files,
      secrets: rendered.secrets.map((s) => ({ namespace: s.namespace, name: s.name })),
    };
  }

  async get(name: string): Promise<EnvironmentView> {
    const source = this.options.engine.environmentSource(name);
    const status = this.options.engine.status(name);
    if (source === undefined && !status)
      throw new NotFoundError(`no environment named "${name}"`, { path: '/metadata/name' });
    const document = parseDocument(source) ?? {
      apiVersion: 'envcat.io/v1alpha1',
      kind: 'Environment',
      metadata: { name },
    };
    const commits = await this.options.engine.commits(name);
    const createdAt = this.options.engine.createdAtOf(name) ?? commits.at(-1)?.date;
    const metadata = createdAt ? { ...document.metadata, creationTimestamp: createdAt } : document.metadata;
    return { ...document, metadata, status: statusView(status, commits) };
  }

  list(): EnvironmentSummary[] {
    const engine = this.options.engine;
    return engine.knownEnvironments().map((name) => {
      const document = parseDocument(engine.environmentSource(name));
      const spec = (document?.spec ?? {}) as Record<string, JsonValue>;
      const status = engine.status(name);
      const createdAt = engine.createdAtOf(name);
      const catalogs = Array.isArray(spec.catalogs)
        ? (spec.catalogs as Array<Record<string, JsonValue>>)
        : [];
      return {
        name,
        ...optional('namespace', spec.namespace),
        ...optional('type', spec.type),
        ...optional('owner', spec.owner),
        ...optional('description', spec.description),
        ...optional('ttl', spec.ttl),
        ...optional('createdAt', createdAt),
        phase: status?.phase ?? 'Creating',
        message: status?.message ?? '',
        instances: catalogs.map((c) => ({ name: String(c.name), entry: String(c.entry) })),
      };
    });
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
    if (typeof metadata.annotations?.[DELETION_ANNOTATION] === 'string') return;
    metadata.annotations = { ...metadata.annotations, [DELETION_ANNOTATION]: new Date().toISOString() };
    const file = { path: environmentFile(name), content: toYaml(document) };
    const result = await this.options.platform.commit({
      write: [file],
      remove: [],
      message: `envcat: delete environment ${name} (by ${actor.name})`,
    });
    this.options.engine.noteCommit('platform', { write: [file], remove: [] }, result.sha);
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

  catalogEntries(): CatalogEntry[] {
    return this.options.catalogs.current().catalog.entries();
  }

  catalogEntry(name: string): CatalogEntry[] {
    const versions = this.options.catalogs.current().catalog.versions(name);
    if (versions.length === 0) throw new NotFoundError(`no catalog entry named "${name}"`);
    return versions;
  }

  async publishCatalogEntry(
    files: Array<{ path: string; content: string }>,
    actor: Actor,
  ): Promise<{ entry: CatalogEntry; created: boolean }> {
    const result = await this.options.catalogs.publish(files, actor.name);
    if (result.created) {
      this.log.info(
        { entry: result.entry.name, version: result.entry.version, actor: actor.name },
        'catalog entry published',
      );
      // Environments that were Invalid for want of this entry may be valid now.
      for (const name of this.options.engine.knownEnvironments()) this.options.engine.enqueue(name);
    }
    return result;
  }

  /** The name and the namespace must be free (the same checks for a dry run as for a create). */
  private assertAvailable(env: ResolvedEnvironment): void {
    const engine = this.options.engine;
    if (engine.environmentSource(env.name) !== undefined)
      throw new ConflictError(`environment "${env.name}" already exists`, { path: '/metadata/name' });
    for (const other of engine.knownEnvironments()) {
      if (this.peekNamespace(other) === env.namespace)
        throw new ConflictError(`namespace "${env.namespace}" belongs to environment "${other}"`, {
          path: '/spec/namespace',
        });
    }
  }

  private peekNamespace(name: string): string | undefined {
    const document = parseDocument(this.options.engine.environmentSource(name));
    const namespace = (document?.spec as { namespace?: unknown } | undefined)?.namespace;
    return typeof namespace === 'string' ? namespace : name;
  }

  /** The Namespace, then one Secret per instance with literal secret values (keys as the entry names them). */
  private async writeSecretParameters(
    env: ResolvedEnvironment,
  ): Promise<Array<{ name: string; namespace: string }>> {
    const secrets = env.instances
      .map((instance) => {
        const data: Record<string, string> = {};
        for (const secret of instance.entry.secretParameters) {
          const source = instance.secrets[secret.name];
          if (source?.kind === 'literal') data[secret.key] = Buffer.from(source.value).toString('base64');
        }
        return { instance, data };
      })
      .filter((s) => Object.keys(s.data).length > 0);
    if (secrets.length === 0) return [];
    const labels = { 'app.kubernetes.io/managed-by': 'envcat', 'envcat.io/environment': env.name };
    await this.options.cluster.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: env.namespace, labels } },
      { fieldManager: 'envcat' },
    );
    const created: Array<{ name: string; namespace: string }> = [];
    try {
      for (const { instance, data } of secrets) {
        const name = parameterSecretName(env.name, instance.name);
        await this.options.cluster.apply(
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: {
              name,
              namespace: env.namespace,
              labels: { ...labels, 'envcat.io/instance': instance.name },
            },
            type: 'Opaque',
            data,
          },
          { fieldManager: 'envcat-api', force: true },
        );
        created.push({ name, namespace: env.namespace });
      }
    } catch (error) {
      await this.deleteSecrets(created);
      throw error;
    }
    return created;
  }

  private async deleteSecrets(secrets: Array<{ name: string; namespace: string }>): Promise<void> {
    for (const secret of secrets) {
      try {
        await this.options.cluster.delete({ apiVersion: 'v1', kind: 'Secret', ...secret });
      } catch (error) {
        this.log.error(
          { secret: secret.name, err: { message: (error as Error).message } },
          'rollback of a Secret failed',
        );
      }
    }
  }
}

function parseDocument(source: string | undefined):
  | {
      apiVersion: string;
      kind: string;
      metadata: Record<string, JsonValue>;
      spec?: Record<string, JsonValue>;
    }
  | undefined {
  if (source === undefined) return undefined;
  try {
    const document = parseYamlDocument(source);
    if (
      document &&
      typeof document === 'object' &&
      !Array.isArray(document) &&
      typeof document.metadata === 'object'
    )
      return document as never;
  } catch {
    // An unparseable file is reported as the environment's Invalid status; here there is nothing to show.
  }
  return undefined;
}

function statusView(
  status: EnvironmentStatusView | undefined,
  commits: EnvironmentView['status']['commits'],
): EnvironmentView['status'] {
  if (!status)
    return {
      phase: 'Creating',
      message: 'waiting for the engine',
      conditions: [{ type: 'Ready', status: 'False', reason: 'Creating', message: 'waiting for the engine' }],
      steps: [],
      outputs: {},
      commits,
      observedAt: new Date().toISOString(),
    };
  return {
    phase: status.phase,
    message: status.message,
    conditions: status.conditions,
    steps: status.steps,
    outputs: status.outputs,
    commits,
    ...(status.problems ? { errors: status.problems } : {}),
    observedAt: status.observedAt,
  };
}

function optional(key: string, value: JsonValue | undefined): Record<string, string> {
  return typeof value === 'string' ? { [key]: value } : {};
}

export { ENVIRONMENTS_DIR };
