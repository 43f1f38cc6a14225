/**
 * The Environment request (a REST body, a file in Git, a composite's spec): a contract, fields are
 * only ever added.
 */
import type { CatalogEntry, JsonValue } from '../catalog/types.js';

export type EnvironmentType = 'pre-release' | 'release';

export interface OutputReferenceValue {
  fromOutput: string;
}

export interface SecretReferenceValue {
  fromSecret: { name: string; key: string };
}

export interface InstanceRequest {
  name: string;
  /** `name@semver-range`, or a name for the latest version. */
  entry: string;
  /**
   * The exact version the instance runs: resolved from `entry` once, when the instance is created,
   * and written here; publishing a newer version never changes it.
   */
  version?: string;
  parameters?: Record<string, JsonValue>;
}

export interface IsolationSpec {
  /** A NetworkPolicy that admits traffic from this namespace only (default true). */
  networkPolicy?: boolean;
  quota?: { cpu?: string; memory?: string; pods?: number };
  limits?: {
    defaultCpu?: string;
    defaultMemory?: string;
    defaultRequestCpu?: string;
    defaultRequestMemory?: string;
  };
}

export interface EnvironmentDocument {
  apiVersion: 'envcat.io/v1alpha1';
  kind: 'Environment';
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    namespace?: string;
    type: EnvironmentType;
    description?: string;
    owner?: string;
    ttl?: string;
    /** Webhooks told of this environment's changes of phase, besides ENVCAT_NOTIFY_URL. */
    notify?: NotifyTarget[];
    /** How long a step may take to be Ready after its commit (or last retry), per part (then: Timeout). */
    timeouts?: { infra?: string; apps?: string };
    isolation?: IsolationSpec;
    catalogs: InstanceRequest[];
  };
}

export interface NotifyTarget {
  url: string;
}

/** Where a parameter value comes from once validated. */
export type SecretSource =
  | { kind: 'literal'; value: string }
  | { kind: 'secretRef'; name: string; key: string }
  | { kind: 'output'; reference: OutputReference };

export interface OutputReference {
  /** Instance that consumes the output, and the parameter it feeds. */
  instance: string;
  parameter: string;
  /** Producing instance and its output. */
  from: string;
  output: string;
  sensitive: boolean;
  /** JSON pointer of the reference in the request. */
  pointer: string;
}

/**
 * Where an instance's version came from: the request's `version` (pinned), the version its files in
 * Git already render (a request from before versions were pinned), or the entry's range now.
 */
export type PinSource = 'requested' | 'rendered' | 'resolved';

export interface ResolvedInstance {
  name: string;
  /** Position in spec.catalogs, for JSON pointers. */
  index: number;
  entry: CatalogEntry;
  /** `requested` when the request names the version; otherwise the request is still to be pinned. */
  pinnedFrom: PinSource;
  /** Literal, non-secret parameter values with defaults applied (secrets and references excluded). */
  values: Record<string, JsonValue>;
  /** Secret parameters by name. */
  secrets: Record<string, SecretSource>;
  /** Non-secret parameters fed by another instance's output, by parameter name. */
  references: Record<string, OutputReference>;
  /**
   * How many times an update changed its secret values (environment.yaml's
   * `secret-revision.envcat.io/<instance>`; 0: never): the steps that read them render it.
   */
  secretRevision: number;
}

export interface ResolvedEnvironment {
  name: string;
  namespace: string;
  type: EnvironmentType;
  description?: string;
  owner?: string;
  ttl?: string;
  ttlSeconds?: number;
  /** `spec.notify`: the environment's own webhooks. */
  notify: NotifyTarget[];
  /** `spec.timeouts` with its defaults (30m for infra, 10m for apps), in seconds. */
  timeouts: { infra: number; apps: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  isolation: IsolationSpec;
  instances: ResolvedInstance[];
  /**
   * The request as given, without secret values and with every instance's `version` (what goes to
   * Git as environment.yaml).
   */
  document: EnvironmentDocument;
}

/** Newer versions an instance could move to (see availableUpdate). */
export interface AvailableUpdate {
  /** The newest version above the pinned one that the requested range allows. */
  withinRange?: string;
  /** The newest version above the pinned one (and above `withinRange`) that the range does not allow. */
  outsideRange?: string;
}

/** An instance's pinned version, and the update available. */
export interface InstanceVersion {
  instance: string;
  /** The entry's name. */
  entry: string;
  /** The requested semver range, when the request gives one. */
  range?: string;
  /** Absent only while a request committed by hand waits for the engine to pin it. */
  version?: string;
  update?: AvailableUpdate;
}

/** An instance an upgrade moves from one version of its entry to another. */
export interface InstanceUpgrade {
  instance: string;
  /** Position in spec.catalogs. */
  index: number;
  /** The entry's name. */
  entry: string;
  from: string;
  to: string;
  /** The requested `entry` rewritten, when `to` is outside its range (`rds-postgres@^1` → `rds-postgres@^2.0.0`). */
  reference?: { from: string; to: string };
}
