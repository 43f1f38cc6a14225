/**
 * The contract's shapes (contract.ts) as JSON Schema: the OpenAPI document's `components.schemas`,
 * which the controllers' responses point at, and against which test/api/contract.test.ts validates
 * real responses.
 *
 * The schemas are written with the small builders below rather than as bare JSON so that tsc holds
 * each one to its type: `object<T>()` takes exactly T's fields, `optional(...)` exactly where T's
 * field is optional, and each field's schema must be a Schema of that field's type (enums list
 * every member). Change a type in contract.ts and this file stops compiling until its schema says
 * the same. Name each nested object's type from its parent (`object<Plan['steps'][number]>()`):
 * that is what makes its fields checked too.
 */
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Repo } from '../core/render/index.js';
import type * as core from '../core/status/index.js';
import type {
  AvailableUpdate,
  CatalogDetail,
  CatalogList,
  CatalogSummary,
  CatalogVersion,
  ClusterKind,
  Commit,
  Condition,
  DeleteAccepted,
  Availability,
  DryRun,
  FileDiff,
  HistoryChange,
  PhaseSpan,
  UpdateDryRun,
  EntryType,
  EntryFileContent,
  EntryFileList,
  EntryFileSummary,
  EnvironmentEvents,
  EnvironmentList,
  EnvironmentMetadata,
  EnvironmentPhase,
  EnvironmentSpec,
  EnvironmentStatus,
  EnvironmentSummary,
  EnvironmentView,
  ErrorBody,
  Health,
  InstanceVersion,
  JsonSchema,
  JsonValue,
  OutputDeclaration,
  Part,
  Plan,
  PlanEdge,
  PlannedFile,
  RefreshAccepted,
  EnvironmentResources,
  ResourceCondition,
  StepResource,
  Principal,
  Problem,
  PublishDryRun,
  PublishRequest,
  VersionStatePatch,
  UpgradeRequest,
  TtlPatch,
  InstanceUpgrade,
  RepoName,
  StepStatus,
} from './contract.js';

declare const describes: unique symbol;

/**
 * A JSON Schema for values of type T. The phantom member (never present at run time) makes T
 * invariant: a Schema<string> does not pass for a Schema<'a' | 'b'>, nor the other way round.
 */
type Schema<T> = { readonly [key: string]: unknown } & { readonly [describes]?: (value: T) => T };

/** True when A and B are the same type (TypeScript's identity relation, not mere assignability). */
type Same<A, B> = (<U>() => U extends A ? 1 : 2) extends <U>() => U extends B ? 1 : 2 ? true : false;

class Optional<T> {
  constructor(readonly schema: Schema<T>) {}
}

/** Named (non-index) keys of T: an interface with an index signature also has named fields. */
type NamedKey<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: 0 };

type Fields<T> = {
  [K in NamedKey<T>]-?: object extends Pick<T, K> ? Optional<Exclude<T[K], undefined>> : Schema<T[K]>;
};

/** The schema of T's index signature's values, when T has one; then further keys are allowed. */
type Others<T> = string extends keyof T ? [others: Schema<Exclude<T[string & keyof T], undefined>>] : [];

const string = (): Schema<string> => ({ type: 'string' });
const integer = (): Schema<number> => ({ type: 'integer' });
const boolean = (): Schema<boolean> => ({ type: 'boolean' });
/** OpenAPI 3.0's way to allow null (a JSON merge patch's "remove this field"). */
const nullableString = (): Schema<string | null> => ({ type: 'string', nullable: true });
/** Any JSON value. */
const json = (): Schema<JsonValue> => ({});

/** A document whose shape another schema owns (a catalog entry's parameter schema, a request's spec). */
function opaque<T>(description: string): Schema<T> {
  return { type: 'object', description };
}

function optional<T>(schema: Schema<T>): Optional<T> {
  return new Optional(schema);
}

function arrayOf<T>(items: Schema<T>): Schema<T[]> {
  return { type: 'array', items };
}

function mapOf<T>(values: Schema<T>): Schema<Record<string, T>> {
  return { type: 'object', additionalProperties: values };
}

/** Every value of the union T: leaving one out does not compile. */
function oneOf<T extends string | number>() {
  return <const V extends readonly T[]>(
    values: V & ([Exclude<T, V[number]>] extends [never] ? unknown : { missing: Exclude<T, V[number]> }),
  ): Schema<T> => ({ type: typeof values[0] === 'number' ? 'integer' : 'string', enum: values });
}

/** A value of either schema (exactly one matches: each forbids the other's fields). */
function either<A, B>(a: Schema<A>, b: Schema<B>): Schema<A | B> {
  return { oneOf: [a, b] } as Schema<A | B>;
}

/** An object with exactly T's fields; no others unless T has an index signature. */
function object<T>() {
  return (fields: Fields<T>, ...[others]: Others<T>): Schema<T> => {
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const [key, field] of Object.entries(
      fields as Record<string, Schema<unknown> | Optional<unknown>>,
    )) {
      if (field instanceof Optional) properties[key] = field.schema;
      else {
        properties[key] = field;
        required.push(key);
      }
    }
    return {
      type: 'object',
      properties,
      ...(required.length > 0 ? { required } : {}),
      additionalProperties: others ?? false,
    };
  };
}

const entryType = oneOf<EntryType>()(['iac', 'yaml', 'hybrid']);
const repoName = oneOf<RepoName>()(['platform', 'apps']);
const part = oneOf<Part>()(['infra', 'apps']);
const clusterKind = oneOf<ClusterKind>()(['simulated', 'kubernetes']);
const phase = oneOf<EnvironmentPhase>()([
  'Creating',
  'ProvisioningInfrastructure',
  'InfrastructureReady',
  'DeployingApplications',
  'Ready',
  'Failed',
  'Invalid',
  'Deleting',
]);
const parameterSchema = opaque<JsonSchema>('a JSON Schema (draft 2020-12)');

const problem = object<Problem>()({ file: optional(string()), path: string(), message: string() });

const condition = object<Condition>()({
  type: string(),
  status: oneOf<Condition['status']>()(['True', 'False', 'Unknown']),
  reason: string(),
  message: string(),
});

const stepStatus = object<StepStatus>()({
  instance: string(),
  part,
  phase: oneOf<StepStatus['phase']>()(['Pending', 'Progressing', 'Ready', 'Failed', 'Deleting']),
  reason: string(),
  message: string(),
  lastTransitionTime: optional(string()),
});

const commit = object<Commit>()({ repo: repoName, sha: string(), message: string(), date: string() });

const availableUpdate = object<AvailableUpdate>()({
  withinRange: optional(string()),
  outsideRange: optional(string()),
});

const instanceVersion = object<InstanceVersion>()({
  instance: string(),
  entry: string(),
  range: optional(string()),
  version: optional(string()),
  update: optional(availableUpdate),
});

const instanceUpgrade = object<InstanceUpgrade>()({
  instance: string(),
  index: integer(),
  entry: string(),
  from: string(),
  to: string(),
  reference: optional(object<NonNullable<InstanceUpgrade['reference']>>()({ from: string(), to: string() })),
});

const phaseSpan = object<PhaseSpan>()({ phase, at: string(), seconds: optional(integer()) });

const historyChange = object<HistoryChange>()({
  title: string(),
  actor: optional(string()),
  start: string(),
  end: string(),
  seconds: integer(),
  commits: arrayOf(object<HistoryChange['commits'][number]>()({ repo: repoName, sha: string() })),
  phases: arrayOf(phaseSpan),
});

const environmentStatus = object<EnvironmentStatus>()({
  phase,
  message: string(),
  conditions: arrayOf(condition),
  steps: arrayOf(stepStatus),
  outputs: mapOf(mapOf(json())),
  commits: arrayOf(commit),
  transitions: optional(arrayOf(phaseSpan)),
  history: optional(arrayOf(historyChange)),
  errors: optional(arrayOf(problem)),
  versions: optional(arrayOf(instanceVersion)),
  warnings: optional(arrayOf(problem)),
  expiresAt: optional(string()),
  observedAt: string(),
  cluster: clusterKind,
});

const catalogSummaryFields = {
  name: string(),
  title: string(),
  description: string(),
  owner: string(),
  tags: arrayOf(string()),
  type: entryType,
  latestVersion: string(),
  versions: arrayOf(string()),
};

const catalogVersionFields = {
  version: string(),
  digest: string(),
  type: entryType,
  parameters: parameterSchema,
  outputs: arrayOf(
    object<OutputDeclaration>()({
      name: string(),
      schema: parameterSchema,
      sensitive: optional(boolean()),
      description: optional(string()),
    }),
  ),
  secretParameters: arrayOf(string()),
  helm: optional(
    object<NonNullable<CatalogVersion['helm']>>()({
      repoURL: string(),
      chart: string(),
      targetRevision: string(),
      releaseName: optional(string()),
    }),
  ),
  module: optional(string()),
  deprecated: optional(boolean()),
  yanked: optional(boolean()),
  notice: optional(string()),
};

const catalogVersion = object<CatalogVersion>()(catalogVersionFields);

const publishDryRun = object<PublishDryRun>()({
  entry: object<PublishDryRun['entry']>()({ name: string(), ...catalogVersionFields }),
  breakingChanges: arrayOf(
    object<PublishDryRun['breakingChanges'][number]>()({ path: string(), message: string() }),
  ),
  alreadyPublished: boolean(),
});

const entryFileFields = { path: string(), size: integer(), sha256: string() };

const environmentSummary = object<EnvironmentSummary>()({
  name: string(),
  namespace: optional(string()),
  type: optional(string()),
  owner: optional(string()),
  description: optional(string()),
  ttl: optional(string()),
  createdAt: optional(string()),
  expiresAt: optional(string()),
  phase,
  message: string(),
  instances: arrayOf(
    object<EnvironmentSummary['instances'][number]>()({
      name: string(),
      entry: string(),
      version: optional(string()),
      update: optional(availableUpdate),
    }),
  ),
});

const plan = object<Plan>()({
  steps: arrayOf(
    object<Plan['steps'][number]>()({
      id: string(),
      instance: string(),
      part,
      dependsOn: arrayOf(string()),
      phase: oneOf<1 | 2>()([1, 2]),
      wave: integer(),
    }),
  ),
  waves: arrayOf(
    object<Plan['waves'][number]>()({
      number: integer(),
      phase: oneOf<1 | 2>()([1, 2]),
      part,
      steps: arrayOf(string()),
    }),
  ),
});

const planEdge = object<PlanEdge>()({ from: string(), to: string(), outputs: arrayOf(string()) });

const stepResource = object<StepResource>()({
  step: string(),
  instance: string(),
  part,
  apiVersion: string(),
  kind: oneOf<StepResource['kind']>()(['Workspace', 'Application']),
  name: string(),
  namespace: optional(string()),
  exists: boolean(),
  generation: optional(integer()),
  conditions: arrayOf(
    object<ResourceCondition>()({
      type: string(),
      status: optional(string()),
      reason: optional(string()),
      message: optional(string()),
      lastTransitionTime: optional(string()),
    }),
  ),
  sync: optional(
    object<NonNullable<StepResource['sync']>>()({ status: string(), revision: optional(string()) }),
  ),
  health: optional(
    object<NonNullable<StepResource['health']>>()({ status: string(), message: optional(string()) }),
  ),
  operation: optional(
    object<NonNullable<StepResource['operation']>>()({
      phase: string(),
      message: optional(string()),
      finishedAt: optional(string()),
    }),
  ),
  message: optional(string()),
  commit: optional(object<NonNullable<StepResource['commit']>>()({ repo: repoName, sha: string() })),
  links: object<StepResource['links']>()({ argocd: optional(string()), commit: optional(string()) }),
});

/** The contract types the OpenAPI document names, by the name it gives them. */
interface Named {
  Health: Health;
  Principal: Principal;
  ErrorBody: ErrorBody;
  CatalogList: CatalogList;
  CatalogDetail: CatalogDetail;
  CatalogVersion: CatalogVersion;
  PublishRequest: PublishRequest;
  PublishDryRun: PublishDryRun;
  PublishOutcome: CatalogVersion | PublishDryRun;
  VersionStatePatch: VersionStatePatch;
  EntryFileList: EntryFileList;
  EntryFileContent: EntryFileContent;
  UpgradeRequest: UpgradeRequest;
  TtlPatch: TtlPatch;
  EnvironmentList: EnvironmentList;
  EnvironmentView: EnvironmentView;
  EnvironmentStatus: EnvironmentStatus;
  EnvironmentDeleted: EnvironmentEvents['deleted'];
  DryRun: DryRun;
  UpdateDryRun: UpdateDryRun;
  Availability: Availability;
  DeleteAccepted: DeleteAccepted;
  EnvironmentResources: EnvironmentResources;
  RefreshAccepted: RefreshAccepted;
}

export type SchemaName = keyof Named;

const CONTRACT_SCHEMAS: { [K in SchemaName]: Schema<Named[K]> } = {
  Health: object<Health>()({
    status: oneOf<'ok'>()(['ok']),
    version: string(),
    cluster: clusterKind,
    clusterDescription: string(),
  }),
  Principal: object<Principal>()({
    name: string(),
    role: oneOf<Principal['role']>()(['platform', 'developer']),
  }),
  ErrorBody: object<ErrorBody>()({ code: string(), message: string(), errors: arrayOf(problem) }),
  CatalogList: object<CatalogList>()({ items: arrayOf(object<CatalogSummary>()(catalogSummaryFields)) }),
  CatalogDetail: object<CatalogDetail>()({
    ...catalogSummaryFields,
    metadata: object<CatalogDetail['metadata']>()({
      name: string(),
      version: string(),
      title: optional(string()),
      description: optional(string()),
      owner: optional(string()),
      tags: optional(arrayOf(string())),
      annotations: optional(mapOf(string())),
    }),
    items: arrayOf(catalogVersion),
  }),
  CatalogVersion: catalogVersion,
  PublishDryRun: publishDryRun,
  PublishOutcome: either(catalogVersion, publishDryRun),
  EntryFileList: object<EntryFileList>()({
    name: string(),
    version: string(),
    digest: string(),
    items: arrayOf(object<EntryFileSummary>()(entryFileFields)),
  }),
  EntryFileContent: object<EntryFileContent>()({
    name: string(),
    version: string(),
    ...entryFileFields,
    content: string(),
  }),
  UpgradeRequest: object<UpgradeRequest>()({ instance: optional(string()), to: optional(string()) }),
  TtlPatch: object<TtlPatch>()({
    metadata: optional(object<NonNullable<TtlPatch['metadata']>>()({ resourceVersion: optional(string()) })),
    spec: object<TtlPatch['spec']>()({ ttl: nullableString() }),
  }),
  VersionStatePatch: object<VersionStatePatch>()({
    deprecated: optional(boolean()),
    yanked: optional(boolean()),
  }),
  PublishRequest: object<PublishRequest>()({
    files: arrayOf(object<PublishRequest['files'][number]>()({ path: string(), content: string() })),
  }),
  EnvironmentList: object<EnvironmentList>()({ items: arrayOf(environmentSummary), cluster: clusterKind }),
  EnvironmentView: object<EnvironmentView>()({
    apiVersion: string(),
    kind: string(),
    metadata: object<EnvironmentMetadata>()(
      { name: string(), creationTimestamp: optional(string()), resourceVersion: optional(string()) },
      json(),
    ),
    spec: optional(opaque<EnvironmentSpec>('the request spec as committed, without secret values')),
    status: environmentStatus,
  }),
  EnvironmentStatus: environmentStatus,
  EnvironmentDeleted: object<EnvironmentEvents['deleted']>()({ name: string() }),
  DryRun: object<DryRun>()({
    plan,
    edges: arrayOf(planEdge),
    files: arrayOf(
      object<PlannedFile>()({
        repo: repoName,
        path: string(),
        step: optional(string()),
        pending: optional(boolean()),
        content: optional(string()),
      }),
    ),
    secrets: arrayOf(object<DryRun['secrets'][number]>()({ namespace: string(), name: string() })),
  }),
  UpdateDryRun: object<UpdateDryRun>()({
    plan,
    added: arrayOf(string()),
    removed: arrayOf(string()),
    files: arrayOf(
      object<FileDiff>()({
        repo: repoName,
        path: string(),
        change: oneOf<FileDiff['change']>()(['added', 'changed', 'removed', 'pending']),
        step: optional(string()),
        diff: optional(string()),
      }),
    ),
    upgrades: optional(arrayOf(instanceUpgrade)),
    secrets: optional(
      arrayOf(
        object<NonNullable<UpdateDryRun['secrets']>[number]>()({
          instance: string(),
          parameters: arrayOf(string()),
        }),
      ),
    ),
  }),
  Availability: object<Availability>()({
    name: string(),
    namespace: string(),
    available: boolean(),
    errors: arrayOf(problem),
  }),
  DeleteAccepted: object<DeleteAccepted>()({ name: string(), phase: oneOf<'Deleting'>()(['Deleting']) }),
  EnvironmentResources: object<EnvironmentResources>()({
    name: string(),
    plan: optional(plan),
    edges: arrayOf(planEdge),
    items: arrayOf(stepResource),
    links: object<EnvironmentResources['links']>()({
      platform: optional(string()),
      apps: optional(string()),
    }),
    observedAt: string(),
  }),
  RefreshAccepted: object<RefreshAccepted>()({
    name: string(),
    refreshing: arrayOf(
      object<RefreshAccepted['refreshing'][number]>()({
        kind: oneOf<RefreshAccepted['refreshing'][number]['kind']>()(['ApplicationSet', 'Application']),
        name: string(),
      }),
    ),
  }),
};

/** A response or body schema that points at a contract schema. */
export function ref(name: SchemaName): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

/** The document Nest built from the controllers, with the contract's schemas it points at. */
export function withContractSchemas(document: OpenAPIObject): OpenAPIObject {
  return {
    ...document,
    components: {
      ...document.components,
      schemas: { ...document.components?.schemas, ...(CONTRACT_SCHEMAS as Record<string, object>) },
    },
  };
}

// The contract mirrors these domain types (the browser cannot compile their modules); each pair
// must stay identical, or this does not compile.
type Assert<T extends true[]> = T;
type _MirrorsMatch = Assert<
  [
    Same<EnvironmentPhase, core.EnvironmentPhase>,
    Same<StepStatus['phase'], core.StepPhase>,
    Same<Condition, core.Condition>,
    Same<StepStatus, core.StepStatus>,
    Same<RepoName, Repo>,
  ]
>;
