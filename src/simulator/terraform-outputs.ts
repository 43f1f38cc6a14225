/**
 * What a simulated `terraform apply` of a Workspace produces: the outputs its module declares
 * (parsed with analyzeModule, typed by its catalog entry) with simulated values, and the connection
 * Secret that holds them, for the simulated provider-terraform.
 */
import { createHash } from 'node:crypto';
import {
  labelSafeVersion,
  LABEL,
  isRecord,
  type Catalog,
  type CatalogEntry,
  type JsonValue,
} from '../core/index.js';
import { analyzeModule } from '../core/terraform/index.js';
import type { ClusterClient, KubeObject, ObjectRef } from '../cluster/index.js';
import { connectionSecretData, simulateOutputs, type OutputSpec } from './outputs.js';

export const CONNECTION_SECRET_TYPE = 'connection.crossplane.io/v1alpha1';
const FIELD_MANAGER = 'provider-terraform';

export interface WorkspaceOutputsOptions {
  cluster: ClusterClient;
  /**
   * Resolves a Workspace's envcat.io/entry + entry-version labels, to type its outputs (a function:
   * the catalog as it is now, for catalogs that grow while the controller runs).
   */
  catalog?: Catalog | (() => Catalog | undefined);
}

export interface OutputPlan {
  specs: OutputSpec[];
  values: Record<string, JsonValue>;
}

export class WorkspaceOutputs {
  private readonly modules = new Map<string, Promise<{ outputs: Map<string, boolean>; problem?: string }>>();

  constructor(private readonly options: WorkspaceOutputsOptions) {}

  /** Where the connection Secret goes: the Workspace's namespace (namespaced API) or the ref's. */
  connectionSecretRef(workspace: KubeObject): ObjectRef | undefined {
    const spec = isRecord(workspace.spec) ? workspace.spec : {};
    const ref = isRecord(spec.writeConnectionSecretToRef) ? spec.writeConnectionSecretToRef : undefined;
    if (!ref || typeof ref.name !== 'string' || ref.name === '') return undefined;
    const namespace =
      workspace.metadata.namespace ?? (typeof ref.namespace === 'string' ? ref.namespace : undefined);
    if (!namespace) return undefined;
    return { apiVersion: 'v1', kind: 'Secret', name: ref.name, namespace };
  }

  async ensureConnectionSecret(workspace: KubeObject): Promise<void> {
    const ref = this.connectionSecretRef(workspace);
    if (!ref || (await this.options.cluster.get(ref))) return;
    const plan = await this.outputPlan(workspace);
    if ('problem' in plan) return;
    await this.writeConnectionSecret(workspace, plan.values);
  }

  async writeConnectionSecret(workspace: KubeObject, values: Record<string, JsonValue>): Promise<void> {
    const ref = this.connectionSecretRef(workspace);
    if (!ref) return;
    await this.options.cluster.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: ref.name,
          namespace: ref.namespace!,
          ownerReferences: [
            {
              apiVersion: workspace.apiVersion,
              kind: workspace.kind,
              name: workspace.metadata.name,
              uid: workspace.metadata.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        type: CONNECTION_SECRET_TYPE,
        data: connectionSecretData(values),
      },
      { fieldManager: FIELD_MANAGER, force: true },
    );
  }

  private entryOf(workspace: KubeObject): CatalogEntry | undefined {
    const labels = workspace.metadata.labels ?? {};
    const name = labels[LABEL.entry];
    const version = labels[LABEL.entryVersion];
    const source = this.options.catalog;
    const catalog = typeof source === 'function' ? source() : source;
    if (!catalog || !name || !version) return undefined;
    return catalog.versions(name).find((e) => labelSafeVersion(e.version) === version);
  }

  private moduleOutputs(content: string): Promise<{ outputs: Map<string, boolean>; problem?: string }> {
    const digest = createHash('sha256').update(content).digest('hex');
    let parsed = this.modules.get(digest);
    if (!parsed) {
      parsed = analyzeModule([{ path: 'main.tf', content }]).then(({ module, problems }) => {
        const outputs = new Map([...module.outputs.values()].map((o) => [o.name, o.sensitive]));
        const invalid = problems.find(
          (p) => p.message.startsWith('invalid HCL') || p.message.includes('no .tf'),
        );
        return invalid ? { outputs, problem: `terraform init failed: ${invalid.message}` } : { outputs };
      });
      if (this.modules.size > 200) this.modules.clear();
      this.modules.set(digest, parsed);
    }
    return parsed;
  }

  /** The outputs of the module with their simulated values, or why the apply fails. */
  async outputPlan(workspace: KubeObject): Promise<OutputPlan | { problem: string }> {
    const spec = isRecord(workspace.spec) ? workspace.spec : {};
    const forProvider = isRecord(spec.forProvider) ? spec.forProvider : {};
    const entry = this.entryOf(workspace);
    const declared = new Map((entry?.document.spec.outputs ?? []).map((o) => [o.name, o]));
    const moduleText = typeof forProvider.module === 'string' ? forProvider.module : '';
    let specs: OutputSpec[];
    if (forProvider.source === 'Inline') {
      const parsed = await this.moduleOutputs(moduleText);
      if (parsed.problem) return { problem: parsed.problem };
      specs = [...parsed.outputs].map(([name, sensitive]) => {
        const schema = declared.get(name)?.schema;
        return { name, sensitive, ...(schema ? { schema } : {}) };
      });
    } else {
      // A Remote module is not fetched: its outputs are the ones the catalog entry declares.
      specs = [...declared.values()].map((o) => ({
        name: o.name,
        sensitive: o.sensitive === true,
        schema: o.schema,
      }));
    }
    const inputs: Record<string, JsonValue> = {};
    if (Array.isArray(forProvider.vars))
      for (const v of forProvider.vars as Array<Record<string, unknown>>)
        if (typeof v.key === 'string' && typeof v.value === 'string') inputs[v.key] = v.value;
    if (isRecord(forProvider.varmap)) Object.assign(inputs, forProvider.varmap as Record<string, JsonValue>);
    const postgres =
      /postgres/i.test(entry?.name ?? '') ||
      /resource\s+"aws_db_instance"|engine\s*=\s*"postgres"/.test(moduleText);
    const values = simulateOutputs(specs, { workspace: workspace.metadata.name, inputs, postgres });
    return { specs, values };
  }
}
