export * from './types.js';
export { environmentSchema, asOutputReference, asSecretReference } from './schema.js';
export {
  checkEnvironment,
  prepareParameterValidation,
  validateEnvironment,
  parameterSecretName,
  outputSecretName,
  DEFAULT_LIMITS,
  DEFAULT_STEP_TIMEOUTS,
  RESERVED_NAMESPACES,
  reservedNamespaceProblem,
  MAX_INSTANCE_NAME,
  MAX_QUALIFIED_NAME,
  type EnvironmentLimits,
  type EnvironmentCheck,
  type CheckOptions,
} from './validate.js';
export { durationText, parseDuration } from './duration.js';
export { outputUses } from './output-uses.js';
export { planEdges } from './plan-edges.js';
export { versionWarnings } from './version-warnings.js';
export { schemaIncompatibility } from './compatibility.js';
export { mergeUpdate, type UpdateMerge } from './update.js';
export {
  carrySecretRevisions,
  describeSecretChanges,
  parseSecretRevision,
  secretRevisionKey,
  secretValueChanges,
  withSecretRevisions,
  type SecretValueChange,
  type StoredSecretValues,
} from './secret-revision.js';
export { parseTtlPatch, type TtlPatch } from './ttl-patch.js';
export {
  resolveInstanceVersion,
  availableUpdate,
  instanceVersions,
  pinnedVersions,
  type InstanceResolution,
} from './versions.js';
export { describeInstanceVersion, describeUpdate } from './update-text.js';
export {
  planUpgrade,
  describeUpgrades,
  upgradeVerb,
  type UpgradePlan,
  type UpgradeRequest,
} from './upgrade.js';
export {
  parseSelector,
  rolloutTargets,
  selectsLabels,
  SELECTOR_FIELDS,
  type RolloutCandidate,
  type RolloutTarget,
} from './rollout.js';
