/** The pure core: no Git, no cluster, no HTTP. */
export * from './errors/index.js';
export * from './catalog/index.js';
export * from './environment/index.js';
export * from './plan/index.js';
export * from './layout/index.js';
export * from './render/index.js';
export {
  toYaml,
  canonicalize,
  parseYamlDocument,
  parseYamlDocuments,
  YamlSyntaxError,
  yamlProblem,
} from './yaml/index.js';
export { parseTerraformAllow, TERRAFORM_ALLOWANCES, type TerraformAllowance } from './terraform/index.js';
export {
  MAX_NESTING_DEPTH,
  asJsonObject,
  isJsonObject,
  isRecord,
  jsonEqual,
  parseJsonText,
  scanJson,
  type JsonParse,
  type JsonScan,
} from './json/index.js';
export { scanTemplate, renderTemplate, type TemplateContext, type TemplateValue } from './template/index.js';
export {
  pointer,
  joinPointer,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelKeyProblem,
  labelValueProblem,
  normalizeRelativePath,
} from './names/index.js';
export * from './status/index.js';
export * from './notify/index.js';
export * from './history/index.js';
