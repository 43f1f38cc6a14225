/**
 * The catalog model (catalogs/README.md). A CatalogEntry document is a contract: fields are only
 * ever added.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
export type JsonSchema = { [key: string]: JsonValue };

export type EntryType = 'iac' | 'yaml' | 'hybrid';

export interface EntryMetadata {
  name: string;
  version: string;
  title?: string;
  description?: string;
  owner?: string;
  tags?: string[];
}

export interface OutputDeclaration {
  name: string;
  schema: JsonSchema;
  sensitive?: boolean;
  description?: string;
}

export interface IacPart {
  /** `./dir` inside the entry (an Inline module) or a Terraform module address (`git::https://…`, a Remote module). */
  module: string;
}

export interface HelmSource {
  repoURL: string;
  chart: string;
  targetRevision: string;
  releaseName?: string;
}

export interface AppsPart {
  helm?: HelmSource;
  /** Values template (relative path), with a Helm source. */
  values?: string;
  /** Folder of manifest templates (relative path), instead of a Helm source. */
  manifests?: string;
  /**
   * The cluster-scoped kinds the part creates (besides its namespace): the environment's Argo CD
   * project allows exactly these. A manifests entry must declare every one its manifests have.
   */
  clusterResources?: Array<{ group: string; kind: string }>;
}

export interface CatalogEntryDocument {
  apiVersion: 'envcat.io/v1alpha1';
  kind: 'CatalogEntry';
  metadata: EntryMetadata;
  spec: {
    type: EntryType;
    parameters: JsonSchema;
    outputs?: OutputDeclaration[];
    iac?: IacPart;
    apps?: AppsPart;
  };
}

/** A file that belongs to an entry, path relative to the entry folder, '/'-separated. */
export interface EntryFile {
  path: string;
  content: string;
}

/** A parsed template file of an apps part: its relative path and its YAML documents. */
export interface TemplateFile {
  path: string;
  documents: JsonValue[];
}

export interface TerraformVariable {
  name: string;
  /** Terraform type expression as written, e.g. `string`, `list(string)`; undefined when untyped. */
  type?: string;
  hasDefault: boolean;
  /** `default = null` makes a variable optional without a value. */
  defaultIsNull: boolean;
  sensitive: boolean;
  file: string;
}

export interface TerraformOutput {
  name: string;
  sensitive: boolean;
  file: string;
}

export interface TerraformModule {
  variables: Map<string, TerraformVariable>;
  outputs: Map<string, TerraformOutput>;
}

export interface SecretParameter {
  name: string;
  /** Key under which the value is stored in the instance's parameter Secret. */
  key: string;
}

/** A validated, immutable catalog entry version with everything rendering needs. */
export interface CatalogEntry {
  name: string;
  version: string;
  document: CatalogEntryDocument;
  /** Where it was loaded from (for messages), e.g. `catalogs/rds-postgres/catalog.yaml`. */
  source: string;
  /** sha256 over the document and its files: a published version never changes. */
  digest: string;
  secretParameters: SecretParameter[];
  /** Inline Terraform module (all .tf files joined in path order) or the Remote module address. */
  module?: { source: 'Inline'; content: string } | { source: 'Remote'; address: string };
  terraform?: TerraformModule;
  /** Helm values template (one document) or manifest templates. */
  values?: TemplateFile;
  manifests?: TemplateFile[];
  /**
   * Example Environment requests (`examples/*.yaml`), checked at publish and by `catalog
   * validate`. Not part of the digest: they show how to use the version, they do not change what it runs.
   */
  examples?: EntryFile[];
  /**
   * Every file of the version as it was loaded or published (catalog.yaml and examples included),
   * by path: what `GET /api/v1/catalogs/{name}/versions/{version}/files` serves. Absent for an
   * entry built in code rather than from files.
   */
  files?: readonly EntryFile[];
}
