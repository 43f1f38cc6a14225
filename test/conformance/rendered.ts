/** Every document of every file rendered from every built-in example, under both Workspace APIs. */
import {
  parseYamlDocuments,
  renderOptions,
  type RenderOptions,
  type WorkspaceApi,
} from '../../src/core/index.js';
import { examples, renderExample, TEST_RENDER_OPTIONS, type Example } from '../support/examples.js';

export const WORKSPACE_APIS: readonly WorkspaceApi[] = ['namespaced', 'cluster'];

export const OPTIONS_FOR: Readonly<Record<WorkspaceApi, RenderOptions>> = {
  // TEST_RENDER_OPTIONS is the default flavour: tf.m.upbound.io/v1beta1, namespaced
  namespaced: TEST_RENDER_OPTIONS,
  cluster: renderOptions({ ...TEST_RENDER_OPTIONS, workspaceApi: 'cluster' }),
};

/**
 * The built-in examples leave some renderer paths untouched (a secret Terraform variable, hence
 * `varFiles` with a secretKeyRef; a ResourceQuota and a LimitRange): these variants of an example
 * reach them. Their ids say `+variant`.
 */
export function variantExamples(all: readonly Example[]): Example[] {
  const base = all.find((e) => e.id === 'rds-postgres/minimal');
  if (!base) throw new Error('the rds-postgres/minimal example is gone: pick another base for the variants');
  const document = structuredClone(base.document) as {
    spec: { isolation?: unknown; catalogs: Array<{ parameters?: Record<string, unknown> }> };
  };
  document.spec.isolation = {
    networkPolicy: true,
    quota: { cpu: '4', memory: '8Gi', pods: 20 },
    limits: {
      defaultCpu: '500m',
      defaultMemory: '512Mi',
      defaultRequestCpu: '100m',
      defaultRequestMemory: '128Mi',
    },
  };
  const first = document.spec.catalogs[0];
  if (!first) throw new Error('rds-postgres/minimal has no catalog instance');
  // A fake password: a secret parameter turns into a tfvars Secret the Workspace reads through varFiles.
  first.parameters = { ...first.parameters, masterPassword: 'not-a-real-password-1' };
  return [
    {
      ...base,
      id: `${base.id}+variant:secret-and-quota`,
      document: document as unknown as Example['document'],
    },
  ];
}

export interface RenderedDocument {
  api: WorkspaceApi;
  example: string;
  repo: 'platform' | 'apps';
  path: string;
  /** Position of the document in its file. */
  index: number;
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
}

/** `namespaced sample-app/dev-feature-auth platform:environments/x/infra/db.yaml[0] Workspace` */
export function describeDocument(d: RenderedDocument): string {
  return `${d.api} ${d.example} ${d.repo}:${d.path}[${d.index}] ${d.kind}`;
}

export async function renderAllDocuments(): Promise<RenderedDocument[]> {
  const documents: RenderedDocument[] = [];
  for (const api of WORKSPACE_APIS) {
    const all = examples();
    for (const example of [...all, ...variantExamples(all)]) {
      const { result } = await renderExample(example, OPTIONS_FOR[api]);
      for (const file of result.files) {
        parseYamlDocuments(file.content).forEach((value, index) => {
          const object = (
            typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}
          ) as Record<string, unknown>;
          documents.push({
            api,
            example: example.id,
            repo: file.repo,
            path: file.path,
            index,
            apiVersion: String(object.apiVersion),
            kind: String(object.kind),
            object,
          });
        });
      }
    }
  }
  return documents;
}
