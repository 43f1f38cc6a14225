/**
 * The REST contract the portal talks to (DESIGN §7). The portal is a client like the CLI: it
 * declares the shapes it reads here instead of importing the server's modules.
 */
import type { JsonSchema, JsonValue, OutputDeclaration, Problem } from '../../core/browser.js';

export type { JsonSchema, JsonValue, OutputDeclaration, Problem };

export type EntryType = 'iac' | 'yaml' | 'hybrid';
export type ClusterKind = 'simulated' | 'kubernetes';
export type EnvironmentType = 'pre-release' | 'release';
export type RepoName = 'platform' | 'apps';
export type Part = 'infra' | 'apps';

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

/** `GET /api/v1/whoami`: who the token belongs to. `platform` sees every environment, `developer` their own. */
export interface Principal {
  name: string;
  role: 'platform' | 'developer';
}

export interface Health {
  status: string;
  version: string;
  cluster: ClusterKind;
  clusterDescription?: string;
}

export interface CatalogSummary {
  name: string;
  title: string;
  description: string;
  owner: string;
  tags: string[];
  type: EntryType;
  latestVersion: string;
  versions: string[];
}

export interface CatalogVersion {
  version: string;
  digest: string;
  type: EntryType;
  parameters: JsonSchema;
  outputs: OutputDeclaration[];
  secretParameters: string[];
  helm?: { repoURL: string; chart: string; targetRevision: string };
  module?: string;
}

export interface CatalogDetail extends CatalogSummary {
  metadata?: Record<string, JsonValue>;
  /** Newest first. */
  items: CatalogVersion[];
}

export interface OutputReferenceValue {
  fromOutput: string;
}

export interface InstanceRequest {
  name: string;
  entry: string;
  parameters?: Record<string, JsonValue>;
}

export interface EnvironmentDocument {
  apiVersion: 'envcat.io/v1alpha1';
  kind: 'Environment';
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    namespace?: string;
    type: EnvironmentType;
    description?: string;
    owner?: string;
    ttl?: string;
    catalogs: InstanceRequest[];
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

export interface EnvironmentList {
  items: EnvironmentSummary[];
  cluster?: ClusterKind;
}

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
}

export interface Commit {
  repo: RepoName;
  sha: string;
  message: string;
  date?: string;
}

export interface EnvironmentStatus {
  phase: EnvironmentPhase;
  message: string;
  conditions: Condition[];
  steps: StepStatus[];
  /** Non-sensitive outputs only, by instance. */
  outputs: Record<string, Record<string, JsonValue>>;
  commits: Commit[];
  errors?: Problem[];
  observedAt?: string;
  cluster?: ClusterKind;
}

export interface EnvironmentView {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; [key: string]: JsonValue | undefined };
  spec?: Partial<EnvironmentDocument['spec']> & Record<string, JsonValue | undefined>;
  status: EnvironmentStatus;
}

export interface PlanWave {
  number: number;
  phase: 1 | 2;
  part: Part;
  steps: string[];
}

export interface DryRunResult {
  plan: { waves: PlanWave[] };
  files: Array<{ repo: RepoName; path: string; step?: string; pending?: boolean }>;
  secrets?: Array<{ namespace: string; name: string }>;
}

/** The body of every error response. */
export interface ErrorBody {
  code: string;
  message: string;
  errors?: Problem[];
}
