export * from './types.js';
export { catalogEntrySchema, IDENTIFIER } from './entry-schema.js';
export { ENVCAT_KEYWORDS, isSchema, isSecretSchema } from './schema-keywords.js';
export {
  validateEntry,
  isRemoteModule,
  ENTRY_FILE,
  EXAMPLES_DIR,
  isExampleFile,
  type EntrySource,
  type EntryCheck,
} from './validate-entry.js';
export {
  Catalog,
  parseEntryReference,
  type Audience,
  type EntryReference,
  type Resolution,
} from './catalog.js';
export { breakingChanges, mayBreak, type BreakingChange, type OutputUse } from './breaking-changes.js';
export {
  ACTIVE,
  formatVersionStates,
  parseVersionStates,
  patchVersionState,
  versionNotice,
  type VersionState,
  type VersionStates,
} from './version-states.js';
export { entryFilePathProblem, entryFilesProblems } from './entry-files.js';
export {
  clusterScopedCustomKinds,
  groupKindKey,
  groupOfApiVersion,
  isClusterScopedKind,
  isKubernetesClusterScoped,
  type GroupKind,
} from './cluster-scoped.js';
export { NAMESPACE_TEMPLATE } from './manifest-rules.js';
