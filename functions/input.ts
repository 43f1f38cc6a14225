/**
 * The function's input: the `input` of its step in the Composition's pipeline. It carries the
 * catalog entries (every file of every entry, as `envcat catalog validate` reads them from disk)
 * and the few render settings that depend on the cluster. `npm run compositions:generate` writes
 * it from catalogs/ into compositions/composition.yaml; functions/README.md says why the catalog
 * travels this way rather than as extra resources.
 */
import type { ValidateFunction } from 'ajv';
import {
  DEFAULT_RENDER_OPTIONS,
  InputError,
  renderOptions,
  type EntryFile,
  type JsonSchema,
  type RenderOptions,
  type WorkspaceApi,
} from '../src/core/index.js';
import { ajvProblems, createAjv } from '../src/core/schema/index.js';
import type { Placement } from './composite.js';

export const INPUT_API_VERSION = 'fn.envcat.io/v1alpha1';
export const INPUT_KIND = 'Input';

/** One catalog entry version: its folder (for messages, e.g. `catalogs/rds-postgres`) and its files. */
export interface CatalogSourceEntry {
  source: string;
  files: EntryFile[];
}

/** The Helm chart that deploys a `manifests` entry's rendered manifests (see adapt.ts). */
export interface ManifestsChart {
  repoURL: string;
  chart: string;
  targetRevision: string;
}

export interface FunctionInput {
  apiVersion: typeof INPUT_API_VERSION;
  kind: typeof INPUT_KIND;
  metadata?: Record<string, unknown>;
  render?: {
    workspaceApi?: WorkspaceApi;
    providerConfig?: string;
    argocd?: { namespace?: string; project?: string; destinationServer?: string };
    manifestsChart?: ManifestsChart;
  };
  catalog: CatalogSourceEntry[];
}

/** What the function renders with, once the input is checked and defaults are applied. */
export interface FunctionSettings {
  render: RenderOptions;
  manifestsChart: ManifestsChart;
  catalog: CatalogSourceEntry[];
}

/**
 * bedag's `raw` chart renders the objects listed in its `resources` value. It carries the rendered
 * manifests of a `manifests` entry inside the Application, since no one commits them to an
 * application repo in this mode.
 */
export const DEFAULT_MANIFESTS_CHART: ManifestsChart = {
  repoURL: 'https://bedag.github.io/helm-charts/',
  chart: 'raw',
  targetRevision: '1.1.0',
};

/** The Argo CD project of the Applications the function composes (gitops/crossplane-native). */
export const DEFAULT_FUNCTION_PROJECT = 'envcat-crossplane';

const DNS1123 = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const nonEmpty = { type: 'string', minLength: 1, maxLength: 2048 };

export const inputSchema: JsonSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'catalog'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: INPUT_API_VERSION },
    kind: { const: INPUT_KIND },
    metadata: { type: 'object' },
    render: {
      type: 'object',
      additionalProperties: false,
      properties: {
        workspaceApi: { enum: ['namespaced', 'cluster'] },
        providerConfig: { type: 'string', pattern: DNS1123, maxLength: 253 },
        argocd: {
          type: 'object',
          additionalProperties: false,
          properties: {
            namespace: { type: 'string', pattern: DNS1123, maxLength: 63 },
            project: { type: 'string', pattern: DNS1123, maxLength: 253 },
            destinationServer: nonEmpty,
          },
        },
        manifestsChart: {
          type: 'object',
          additionalProperties: false,
          required: ['repoURL', 'chart', 'targetRevision'],
          properties: { repoURL: nonEmpty, chart: nonEmpty, targetRevision: nonEmpty },
        },
      },
    },
    catalog: {
      type: 'array',
      minItems: 1,
      maxItems: 500,
      items: {
        type: 'object',
        required: ['source', 'files'],
        additionalProperties: false,
        properties: {
          source: { type: 'string', minLength: 1, maxLength: 256 },
          files: {
            type: 'array',
            minItems: 1,
            maxItems: 500,
            items: {
              type: 'object',
              required: ['path', 'content'],
              additionalProperties: false,
              properties: {
                path: { type: 'string', minLength: 1, maxLength: 256 },
                content: { type: 'string', maxLength: 1024 * 1024 },
              },
            },
          },
        },
      },
    },
  },
};

let validateInput: ValidateFunction | undefined;

/** Checks the input and applies defaults; an InputError's pointers are into the input. */
export function parseInput(input: unknown): FunctionSettings {
  validateInput ??= createAjv({ strict: false }).compile(inputSchema);
  if (input === undefined || input === null)
    throw new InputError([
      { path: '', message: `is missing: the Composition step must give an ${INPUT_KIND} input` },
    ]);
  if (!validateInput(input))
    throw new InputError(ajvProblems(validateInput.errors).map(({ path, message }) => ({ path, message })));
  const { render = {}, catalog } = input as FunctionInput;
  return {
    render: renderOptions({
      workspaceApi: render.workspaceApi ?? DEFAULT_RENDER_OPTIONS.workspaceApi,
      providerConfig: render.providerConfig ?? DEFAULT_RENDER_OPTIONS.providerConfig,
      argocd: { project: DEFAULT_FUNCTION_PROJECT, ...render.argocd },
    }),
    manifestsChart: render.manifestsChart ?? DEFAULT_MANIFESTS_CHART,
    catalog,
  };
}

/**
 * Render options for one XR. A namespaced XR composes into its own namespace only (Crossplane v2):
 * its Workspaces are the namespaced API's and its Applications live beside it, which Argo CD
 * accepts from namespaces listed in `application.namespaces` (gitops/crossplane-native/README.md).
 */
export function renderOptionsFor(settings: FunctionSettings, placement: Placement): RenderOptions {
  if (placement.scope === 'Cluster') return settings.render;
  if (settings.render.workspaceApi === 'cluster')
    throw new InputError([
      {
        path: '/render/workspaceApi',
        message: `is "cluster", but a namespaced Environment (in "${placement.namespace}") can only compose namespaced Workspaces`,
      },
    ]);
  return renderOptions({
    ...settings.render,
    argocd: { ...settings.render.argocd, namespace: placement.namespace },
  });
}
