/**
 * The core's entry for the web portal (src/ui): the types and the few pure functions the browser
 * shares with the server. index.ts is the entry for Node; it would also bring Ajv, the YAML parser,
 * hcl2json and Node built-ins (node:crypto, node:path) into the browser bundle. Nothing this file
 * reaches imports a package or a Node module (test/architecture/module-graph.test.ts checks).
 */
export type {
  EntryMetadata,
  EntryType,
  HelmSource,
  JsonSchema,
  JsonValue,
  OutputDeclaration,
} from './catalog/types.js';
export type {
  AvailableUpdate,
  EnvironmentDocument,
  EnvironmentType,
  InstanceRequest,
  InstanceUpgrade,
  InstanceVersion,
  OutputReferenceValue,
} from './environment/types.js';
export type { Problem } from './errors/index.js';
export type { Part, Plan, PlanEdge, Step, Wave } from './plan/index.js';
export { durationText, parseDuration } from './environment/duration.js';
export { describeInstanceVersion, describeUpdate } from './environment/update-text.js';
export { schemaIncompatibility } from './environment/compatibility.js';
export { ENVCAT_KEYWORDS, isSchema, isSecretSchema } from './catalog/schema-keywords.js';
export { dns1123LabelProblem } from './names/index.js';
export {
  MESSAGES_KEYWORD,
  schemaAtPath,
  schemaErrorMessage,
  type SchemaErrorInput,
} from './schema/messages.js';
export { expiresAt, extendedTtl } from './status/ttl.js';
