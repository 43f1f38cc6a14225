/**
 * The REST contract: every body that /api/v1, /healthz and the event stream send or
 * take, declared once. The controllers return these types, the portal (src/ui) and the CLI
 * (src/cli) read them.
 *
 * Types only, imported with `import type`: nothing here runs, so neither the browser bundle nor the
 * CLI takes server code with it. It reaches the core through src/core/browser.ts, as the portal
 * does (src/ui compiles this file without Node's types), never through src/core/index.ts.
 *
 * src/api/openapi.ts describes the same shapes as JSON Schema for the OpenAPI document, and tsc
 * holds it to these types field by field; test/api/contract.test.ts checks that the routes answer
 * with those schemas and that real responses validate against them.
 */
import type {
  AvailableUpdate,
  EntryMetadata,
  EntryType,
  EnvironmentDocument,
  EnvironmentType,
  HelmSource,
  InstanceRequest,
  InstanceUpgrade,
  InstanceVersion,
  JsonSchema,
  JsonValue,
  OutputDeclaration,
  OutputReferenceValue,
  Part,
  Plan,
  PlanEdge,
  Problem,
  Step,
  Wave,
} from '../core/browser.js';

export type {
  AvailableUpdate,
  EntryMetadata,
  EntryType,
  EnvironmentDocument,
  EnvironmentType,
  HelmSource,
  InstanceRequest,
  InstanceUpgrade,
  InstanceVersion,
  JsonSchema,
  JsonValue,
  OutputDeclaration,
  OutputReferenceValue,
  Part,
  Plan,
  PlanEdge,
  Problem,
  Step,
  Wave,
};

// The phases, Condition and StepStatus mirror src/core/status, and RepoName mirrors `Repo` of
// src/core/render: the browser cannot compile those modules (they hash with node:crypto).
// src/api/openapi.ts asserts that each stays identical to its original.

export type EnvironmentPhase =
  | 'Creating'
  | 'ProvisioningInfrastructure'
  | 'InfrastructureReady'
  | 'DeployingApplications'
  | 'Ready'
  | 'Failed'
  | 'Invalid'
  | 'Deleting';

export type StepPhase = 'Pending' | 'Progressing' | 'Ready' | 'Failed' | 'Deleting';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface StepStatus {
  instance: string;
  part: Part;
  phase: StepPhase;
  reason: string;
  message: string;
  /**
   * When the step entered its phase: the controller's condition or sync time (Ready, Failed), the
   * step's commit (Progressing), the deadline that failed it (Timeout); absent when nothing says.
   */
  lastTransitionTime?: string;
}

export type RepoName = 'platform' | 'apps';

/** Every response that shows an environment says whether its cluster is envcat's simulator. */
export type ClusterKind = 'simulated' | 'kubernetes';

export type Role = 'platform' | 'developer';

/** `GET /api/v1/whoami`. `platform` sees every environment, `developer` their own. */
export interface Principal {
  name: string;
  role: Role;
}

/** `GET /healthz` (no token needed). */
export interface Health {
  status: 'ok';
  version: string;
  cluster: ClusterKind;
  clusterDescription: string;
}

/** The body of every error response: each problem with its JSON pointer into the request. */
export interface ErrorBody {
  code: string;
  message: string;
  errors: Problem[];
}

/** An entry of `GET /api/v1/catalogs`: its latest version, and every version number. */
export interface CatalogSummary {
  name: string;
  title: string;
  description: string;
  owner: string;
  tags: string[];
  type: EntryType;
  /** The version a new request for the entry gets: the newest neither deprecated nor yanked (else the newest). */
  latestVersion: string;
  /** Newest first, deprecated and yanked ones included. */
  versions: string[];
}

export interface CatalogList {
  items: CatalogSummary[];
}

/** One version of an entry; also the answer to `POST /api/v1/catalogs`. */
export interface CatalogVersion {
  version: string;
  digest: string;
  type: EntryType;
  parameters: JsonSchema;
  outputs: OutputDeclaration[];
  /** Names of the parameters whose values go to a Secret, never to Git. */
  secretParameters: string[];
  helm?: HelmSource;
  /** The Terraform module's source. */
  module?: string;
  /** Still runs and upgrades, but new requests do not get it unless they name it exactly. */
  deprecated?: boolean;
  /** Refused for new requests and upgrades; running instances keep running. */
  yanked?: boolean;
  /** What a deprecated or yanked version means for its users. */
  notice?: string;
}

/** A change a new version makes that breaks requests written for the previous one. */
export interface BreakingChange {
  /** JSON pointer into the new version's catalog.yaml. */
  path: string;
  message: string;
}

/** `POST /api/v1/catalogs?dryRun=true`: what publishing would publish, and what it breaks; nothing written. */
export interface PublishDryRun {
  entry: CatalogVersion & { name: string };
  /** Against the highest version published before it; only a new major version may have any. */
  breakingChanges: BreakingChange[];
  /** This version is published already with this content: publishing it is a no-op. */
  alreadyPublished: boolean;
}

/** The body of `PATCH /api/v1/catalogs/{name}/versions/{version}`: the flags to set. */
export interface VersionStatePatch {
  deprecated?: boolean;
  yanked?: boolean;
}

/** `GET /api/v1/catalogs/{name}`. */
export interface CatalogDetail extends CatalogSummary {
  /** The latest version's metadata, as published. */
  metadata: EntryMetadata & { annotations?: Record<string, string> };
  /** Newest first. */
  items: CatalogVersion[];
}

/** One file of an entry version, without its content. */
export interface EntryFileSummary {
  /** Relative to the entry's folder, '/'-separated (`catalog.yaml`, `terraform/main.tf`). */
  path: string;
  /** In bytes (UTF-8). */
  size: number;
  /** `sha256:<hex>` of the content: two versions hold the same file when these are equal. */
  sha256: string;
}

/**
 * `GET /api/v1/catalogs/{name}/versions/{version}/files`: every file of the version as it was
 * published (catalog.yaml and examples included), by path. Read-only: a version never changes.
 */
export interface EntryFileList {
  name: string;
  version: string;
  digest: string;
  items: EntryFileSummary[];
}

/**
 * `GET /api/v1/catalogs/{name}/versions/{version}/files/{path}`: one file with its content (the
 * path URL-encoded as one segment, `terraform%2Fmain.tf`, or as segments, `terraform/main.tf`).
 */
export interface EntryFileContent extends EntryFileSummary {
  name: string;
  version: string;
  content: string;
}

/** `POST /api/v1/catalogs` as JSON: `catalog.yaml` and the files it names. */
export interface PublishRequest {
  files: Array<{ path: string; content: string }>;
}

/** `GET /api/v1/environments`. */
export interface EnvironmentList {
  items: EnvironmentSummary[];
  cluster: ClusterKind;
}

export interface EnvironmentSummary {
  name: string;
  namespace?: string;
  type?: string;
  owner?: string;
  description?: string;
  ttl?: string;
  createdAt?: string;
  /** When the ttl deletes it (creation + ttl), once both are known. */
  expiresAt?: string;
  phase: EnvironmentPhase;
  message: string;
  /**
   * Each instance: its entry as requested, the version it is pinned to (absent while a request
   * committed by hand waits for the engine to pin it) and the newer version available, if any.
   */
  instances: Array<{ name: string; entry: string; version?: string; update?: AvailableUpdate }>;
}

/** A commit that touched the environment, in either repo. */
export interface Commit {
  repo: RepoName;
  sha: string;
  message: string;
  date: string;
}

/** A phase the environment went through. */
export interface PhaseSpan {
  phase: EnvironmentPhase;
  /** When it entered the phase. */
  at: string;
  /**
   * How long it stayed, in whole seconds. Absent for the phase it is in now, and for the last phase
   * Git shows of an earlier change (the cluster keeps the times of the latest change only).
   */
  seconds?: number;
}

/**
 * A change: one someone asked for (create, update, upgrade, retry, delete: the commits envcat makes
 * for a request end in `(by <who>)`), or a commit made by hand, with the commits the engine then
 * made for it and the phases the environment went through.
 */
export interface HistoryChange {
  /** What was asked for, in words (`Created`, `Updated (ttl)`, `Committed to Git by hand`). */
  title: string;
  /** Who asked, when the commit says. */
  actor?: string;
  /** The first commit's date (the request), and the last one made for it. */
  start: string;
  end: string;
  /** From the first commit to the last one made for it; 0 for a single commit. */
  seconds: number;
  /** Newest first; each is in `status.commits`. */
  commits: Array<{ repo: RepoName; sha: string }>;
  /** Oldest first. */
  phases: PhaseSpan[];
}

export interface EnvironmentStatus {
  phase: EnvironmentPhase;
  message: string;
  conditions: Condition[];
  steps: StepStatus[];
  /** Non-sensitive outputs only, by instance. */
  outputs: Record<string, Record<string, JsonValue>>;
  /** Newest first. */
  commits: Commit[];
  /**
   * When the environment entered each phase of its latest change, oldest first; the last is the
   * phase it is in now. Derived, never stored: from the commit times in Git (the request, each
   * step's commit) and the controllers' own transition times (each step's lastTransitionTime), so
   * a restart or another replica answers the same.
   */
  transitions?: PhaseSpan[];
  /** Every change in `commits`, newest first, with the phases it went through and their durations. */
  history?: HistoryChange[];
  /** Why an Invalid environment is invalid. */
  errors?: Problem[];
  /**
   * Each instance's pinned version (`spec.catalogs[i].version`) and the newer version available,
   * within the requested range or beyond it. In the answers of GET, create and retry, not in events.
   */
  versions?: InstanceVersion[];
  /** Instances that run a deprecated or yanked entry version: they keep running. */
  warnings?: Problem[];
  /**
   * When the ttl deletes it: `metadata.creationTimestamp` + `spec.ttl`, once both are known. In
   * the answers of GET, create, update and retry, not in events.
   */
  expiresAt?: string;
  observedAt: string;
  cluster: ClusterKind;
}

/**
 * The request's metadata as committed to Git, plus `creationTimestamp` once envcat knows it. An
 * Invalid environment's request is whatever was committed: read the rest defensively.
 */
export interface EnvironmentMetadata {
  name: string;
  creationTimestamp?: string;
  /** Changes with every change of the request: send it back with an update to get a 409 if it is stale. */
  resourceVersion?: string;
  [key: string]: JsonValue | undefined;
}

/** The request's spec as committed to Git, without secret values; for an Invalid environment, any object. */
export type EnvironmentSpec = Partial<EnvironmentDocument['spec']> & { [key: string]: JsonValue | undefined };

/** `GET /api/v1/environments/{name}`, and the answer to a create and a retry. */
export interface EnvironmentView {
  apiVersion: string;
  kind: string;
  metadata: EnvironmentMetadata;
  spec?: EnvironmentSpec;
  status: EnvironmentStatus;
}

/** A file a create would commit; `pending` ones wait for infrastructure outputs to be rendered. */
export interface PlannedFile {
  repo: RepoName;
  path: string;
  step?: string;
  pending?: boolean;
  /** The file as it would be committed (rendered files only; Git never holds secret values). */
  content?: string;
}

/** `POST /api/v1/environments?dryRun=true`: what a create would do, without doing it. */
export interface DryRun {
  plan: Plan;
  /** Each edge of the plan and the outputs it carries (`<instance>.<output>`). */
  edges: PlanEdge[];
  files: PlannedFile[];
  /** Secrets a create would write (names only). */
  secrets: Array<{ namespace: string; name: string }>;
}

/** A file an update adds, changes or removes, with a unified diff; `pending` ones wait for infrastructure outputs. */
export interface FileDiff {
  repo: RepoName;
  path: string;
  change: 'added' | 'changed' | 'removed' | 'pending';
  step?: string;
  diff?: string;
}

/**
 * `PUT /api/v1/environments/{name}?dryRun=true`: what an update would do, without doing it; also
 * the answer of `POST /api/v1/environments/{name}/upgrade?dryRun=true`.
 */
export interface UpdateDryRun {
  plan: Plan;
  /** Instances the update adds and removes. */
  added: string[];
  removed: string[];
  files: FileDiff[];
  /** An upgrade's dry run: each instance it moves, from which version to which (none: nothing to move). */
  upgrades?: InstanceUpgrade[];
  /**
   * The running instances whose secret parameters get new values, by name (the values are never
   * shown): written to their Secrets once the update is committed. Absent when none.
   */
  secrets?: Array<{ instance: string; parameters: string[] }>;
}

/**
 * The body of `PATCH /api/v1/environments/{name}`: a JSON merge patch of `spec.ttl` alone (null
 * removes it). The ttl counts from creation: to end 48h from now, send the age plus 48h (what
 * `envcat env extend` and the portal's Extend do). With `metadata.resourceVersion`, a stale read is a 409.
 */
export interface TtlPatch {
  metadata?: { resourceVersion?: string };
  spec: { ttl: string | null };
}

/**
 * The body of `POST /api/v1/environments/{name}/upgrade`. Without `instance`, every instance moves
 * to the newest version its range allows that new requests get; `to` names an exact version (an
 * older one is a rollback; a yanked one is refused) and needs `instance` unless there is only one.
 */
export interface UpgradeRequest {
  instance?: string;
  to?: string;
}

/**
 * `GET /api/v1/environments/{name}/availability?namespace=`: whether a create could take this name
 * and namespace now. Problems point where a create's would (`/metadata/name`, `/spec/namespace`)
 * and say only "invalid", "reserved" or "taken", never whose or what it holds.
 */
export interface Availability {
  name: string;
  namespace: string;
  available: boolean;
  errors: Problem[];
}

/** `DELETE /api/v1/environments/{name}` (202). */
export interface DeleteAccepted {
  name: string;
  phase: 'Deleting';
}

/** `GET /api/v1/environments/{name}/events`: server-sent events, by event type. */
export interface EnvironmentEvents {
  /** The status now, then on every change. */
  status: EnvironmentStatus;
  /** The last event: the environment is gone. */
  deleted: { name: string };
}

/**
 * A condition as the controller wrote it. A Workspace's have a status and a reason; an Argo CD
 * Application's (ComparisonError, SyncError, ...) only a type, a message and a time.
 */
export interface ResourceCondition {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** What the controllers say about one step: its Workspace (infra) or Application (apps), as Argo CD shows a resource. */
export interface StepResource {
  /** The plan's step id, `<instance>/<part>`. */
  step: string;
  instance: string;
  part: Part;
  apiVersion: string;
  kind: 'Workspace' | 'Application';
  name: string;
  /** Absent for a cluster-scoped Workspace. */
  namespace?: string;
  /** False while it is not in the cluster (not committed, or not synced yet), and once it is gone. */
  exists: boolean;
  generation?: number;
  conditions: ResourceCondition[];
  /** An Application's sync status and the revision it synced. */
  sync?: { status: string; revision?: string };
  /** An Application's health. */
  health?: { status: string; message?: string };
  /** An Application's last sync operation. */
  operation?: { phase: string; message?: string; finishedAt?: string };
  /** The controller's latest words on it: an error, a health or operation message, or the Ready condition's message. */
  message?: string;
  /** The commit that holds it, when known. */
  commit?: { repo: RepoName; sha: string };
  /** Links when configured: the Argo CD Application that syncs it (ENVCAT_ARGOCD_URL), the commit (ENVCAT_*_REPO_WEB_URL). */
  links: { argocd?: string; commit?: string };
}

/** `GET /api/v1/environments/{name}/resources`: the plan's graph and each step's resource. */
export interface EnvironmentResources {
  name: string;
  /** Absent while the request in Git is Invalid. */
  plan?: Plan;
  edges: PlanEdge[];
  items: StepResource[];
  /** The Argo CD Applications that sync the environment's folder of each repo, when ENVCAT_ARGOCD_URL is set. */
  links: { platform?: string; apps?: string };
  observedAt: string;
}

/** `POST /api/v1/environments/{name}/refresh` (202): the Argo CD objects asked to look at Git now. */
export interface RefreshAccepted {
  name: string;
  refreshing: Array<{ kind: 'ApplicationSet' | 'Application'; name: string }>;
}
