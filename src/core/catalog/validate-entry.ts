/**
 * Checks a catalog entry: its document against the CatalogEntry schema, then the rules a schema
 * cannot say (files exist and stay inside the entry, Terraform variables and outputs match the
 * parameters and outputs, templates reference only what is declared, defaults are valid).
 * Pure: the caller hands in the entry's files.
 */
import { createHash } from 'node:crypto';
import semver from 'semver';
import type { Problem } from '../errors/index.js';
import { joinPointer, normalizeRelativePath, pointer, relativePathProblem } from '../names/index.js';
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { ajvProblems, createAjv, forEachSubschema } from '../schema/index.js';
import { MissingRefError } from 'ajv/dist/2020.js';
import { scanTemplate, type TemplateReference } from '../template/index.js';
import { analyzeModule, schemaTypesForTerraformType, type TerraformAllowance } from '../terraform/index.js';
import { canonicalize, parseYamlDocument, parseYamlDocuments, yamlProblem } from '../yaml/index.js';
import { catalogEntrySchema } from './entry-schema.js';
import { checkClusterResources, checkManifests } from './manifest-rules.js';
import { isSecretSchema } from './schema-keywords.js';
import { isJsonObject } from '../json/values.js';
import type {
  CatalogEntry,
  CatalogEntryDocument,
  EntryFile,
  JsonSchema,
  JsonValue,
  SecretParameter,
  TemplateFile,
  TerraformModule,
} from './types.js';

export interface EntrySource {
  /** Folder of the entry as shown in messages, e.g. `catalogs/rds-postgres`. */
  dir: string;
  /** Every file of the entry (catalog.yaml included), paths relative to `dir`. */
  files: readonly EntryFile[];
  /** When the folder is named after the entry, the name it must carry. */
  expectedName?: string;
  /** Terraform constructs this platform allows in modules (see core/terraform/policy.ts). */
  terraformAllow?: ReadonlySet<TerraformAllowance>;
}

export interface EntryCheck {
  entry?: CatalogEntry;
  problems: Problem[];
}

export const ENTRY_FILE = 'catalog.yaml';
/** An entry's example requests: `examples/<name>.yaml` beside catalog.yaml. */
export const EXAMPLES_DIR = 'examples';
const EXAMPLE_FILE = new RegExp(`^${EXAMPLES_DIR}/[^/]+\\.ya?ml$`);

export function isExampleFile(path: string): boolean {
  return EXAMPLE_FILE.test(path);
}
const SECRET_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const TFVARS_KEY = 'terraform.tfvars.json';

/**
 * Compiles catalog.yaml's schema, and checks every entry's schemas against the JSON Schema
 * meta-schema: an instance compiles the meta-schema at its first check (~30–50 ms), once here
 * rather than in each entry's instance. Both at the first entry checked rather than when the core
 * loads (~60 ms), which a process that checks no entry never pays.
 */
const metaAjv = createAjv();
let validateDocument: ValidateFunction | undefined;

export function isRemoteModule(module: string): boolean {
  return module.includes('::') || module.includes('://');
}

function filesUnder(files: readonly EntryFile[], dir: string): EntryFile[] {
  const prefix = `${dir}/`;
  return files.filter((f) => f.path.startsWith(prefix));
}

export async function validateEntry(source: EntrySource): Promise<EntryCheck> {
  const fileOf = (rel: string) => (source.dir ? `${source.dir}/${rel}` : rel);
  const catalogFile = fileOf(ENTRY_FILE);
  const problems: Problem[] = [];
  const at = (path: string, message: string, file = catalogFile) => problems.push({ file, path, message });

  const raw = source.files.find((f) => f.path === ENTRY_FILE);
  if (!raw) return { problems: [{ file: catalogFile, path: '', message: 'catalog.yaml is missing' }] };
  let parsed: JsonValue;
  try {
    parsed = parseYamlDocument(raw.content);
  } catch (error) {
    return { problems: [yamlProblem(error, catalogFile)] };
  }
  validateDocument ??= metaAjv.compile(catalogEntrySchema);
  if (!validateDocument(parsed)) {
    for (const p of ajvProblems(validateDocument.errors)) at(p.path, p.message);
    return { problems };
  }
  const doc = parsed as unknown as CatalogEntryDocument;
  const { metadata, spec } = doc;

  if (source.expectedName !== undefined && metadata.name !== source.expectedName) {
    at('/metadata/name', `must equal the folder name "${source.expectedName}"`);
  }
  // Strict semver (build metadata allowed), not the loose forms semver also parses (`v1.0.0`, `=1.0.0`).
  if (semver.parse(metadata.version)?.raw !== metadata.version || !/^\d/.test(metadata.version)) {
    at('/metadata/version', 'must be a semantic version such as 1.2.3');
  }

  // Parts required and forbidden by type.
  const needsIac = spec.type === 'iac' || spec.type === 'hybrid';
  const needsApps = spec.type === 'yaml' || spec.type === 'hybrid';
  if (needsIac && !spec.iac) at('/spec/iac', `is required for type ${spec.type}`);
  if (!needsIac && spec.iac) at('/spec/iac', `is not allowed for type ${spec.type}`);
  if (needsApps && !spec.apps) at('/spec/apps', `is required for type ${spec.type}`);
  if (!needsApps && spec.apps) at('/spec/apps', `is not allowed for type ${spec.type}`);
  if (!needsIac && (spec.outputs?.length ?? 0) > 0) {
    at('/spec/outputs', 'only entries with an iac part produce outputs');
  }

  // One ajv for this entry: creating one (with formats) costs far more than a compile. What it
  // compiles passed metaAjv's meta-schema check (or is part of a schema that did).
  const ajv = createAjv({ validateSchema: false });
  const parameters = checkParameters(ajv, spec.parameters, at);
  const outputs = checkOutputs(doc, at);

  // Terraform module.
  let module: CatalogEntry['module'];
  let terraform: TerraformModule | undefined;
  if (needsIac && spec.iac) {
    if (isRemoteModule(spec.iac.module)) {
      module = { source: 'Remote', address: spec.iac.module };
    } else {
      const pathProblem = relativePathProblem(spec.iac.module);
      const dir = normalizeRelativePath(spec.iac.module);
      const tf = pathProblem ? [] : filesUnder(source.files, dir).filter((f) => f.path.endsWith('.tf'));
      if (pathProblem) at('/spec/iac/module', pathProblem);
      else if (tf.length === 0) at('/spec/iac/module', `folder "${dir}" has no Terraform (.tf) files`);
      else {
        const analysis = await analyzeModule(tf, source.terraformAllow);
        for (const p of analysis.problems) at(p.path, p.message, fileOf(p.file));
        terraform = analysis.module;
        const sorted = [...tf].sort((a, b) => (a.path < b.path ? -1 : 1));
        module = {
          source: 'Inline',
          content: sorted.map((f) => `# envcat: ${f.path}\n${f.content.trimEnd()}\n`).join('\n'),
        };
      }
    }
  }

  // Templates.
  let values: TemplateFile | undefined;
  let manifests: TemplateFile[] | undefined;
  const references: Array<{ ref: TemplateReference; file: string }> = [];
  if (needsApps && spec.apps) {
    const apps = spec.apps;
    if (apps.helm && apps.manifests)
      at('/spec/apps', 'give either helm (with values) or manifests, not both');
    if (!apps.helm && !apps.manifests) at('/spec/apps', 'needs helm (with values) or manifests');
    if (apps.values && !apps.helm) at('/spec/apps/values', 'values go with a helm chart');
    const readTemplate = (rel: string, ptr: string, single: boolean): TemplateFile | undefined => {
      const file = source.files.find((f) => f.path === rel);
      if (!file) {
        at(ptr, `file "${rel}" does not exist`);
        return undefined;
      }
      try {
        const documents = single ? [parseYamlDocument(file.content)] : parseYamlDocuments(file.content);
        return { path: rel, documents };
      } catch (error) {
        const problem = yamlProblem(error);
        at(problem.path, problem.message, fileOf(rel));
        return undefined;
      }
    };
    if (apps.helm && apps.values) {
      const problem = relativePathProblem(apps.values);
      if (problem) at('/spec/apps/values', problem);
      else {
        values = readTemplate(normalizeRelativePath(apps.values), '/spec/apps/values', true);
        const doc0 = values?.documents[0];
        if (values && (doc0 === null || typeof doc0 !== 'object' || Array.isArray(doc0))) {
          at('', 'a values file must be a YAML mapping', fileOf(values.path));
          values = undefined;
        }
      }
    }
    if (apps.manifests) {
      const problem = relativePathProblem(apps.manifests);
      if (problem) at('/spec/apps/manifests', problem);
      else {
        const dir = normalizeRelativePath(apps.manifests);
        const yamlFiles = filesUnder(source.files, dir)
          .filter((f) => /\.ya?ml$/.test(f.path))
          .sort((a, b) => (a.path < b.path ? -1 : 1));
        if (yamlFiles.length === 0) at('/spec/apps/manifests', `folder "${dir}" has no .yaml files`);
        manifests = yamlFiles.flatMap((f) => readTemplate(f.path, '/spec/apps/manifests', false) ?? []);
        for (const m of manifests) checkManifests(m, (p, msg) => at(p, msg, fileOf(m.path)));
        checkClusterResources({ manifests, declared: apps.clusterResources ?? [], at, fileOf });
      }
    }
    for (const t of [...(values ? [values] : []), ...(manifests ?? [])]) {
      t.documents.forEach((d, i) => {
        const scan = scanTemplate(d, t.documents.length > 1 || manifests ? pointer(i) : '');
        for (const p of scan.problems) at(p.pointer, p.message, fileOf(t.path));
        for (const ref of scan.references) references.push({ ref, file: fileOf(t.path) });
      });
    }
    checkReferences(references, parameters, outputs, spec.type, problems);
  }

  if (terraform) {
    const usedByTemplates = new Set(
      references.filter((r) => r.ref.scope === 'parameters').map((r) => r.ref.name),
    );
    checkTerraform({ terraform, spec: doc.spec, parameters, usedByTemplates, at, fileOf });
  }

  if (problems.length > 0) return { problems };
  const secretParameters: SecretParameter[] = [...parameters.entries()]
    .filter(([, s]) => isSecretSchema(s))
    .map(([name, s]) => ({
      name,
      key: typeof s['x-envcat-secret-key'] === 'string' ? s['x-envcat-secret-key'] : name,
    }));
  const entry: CatalogEntry = {
    name: metadata.name,
    version: metadata.version,
    document: doc,
    source: catalogFile,
    digest: digestOf(doc, source.files),
    secretParameters,
    module,
    terraform,
    values,
    manifests,
    files: [...source.files].sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
  const examples = source.files.filter((f) => isExampleFile(f.path));
  if (examples.length > 0) entry.examples = [...examples].sort((a, b) => (a.path < b.path ? -1 : 1));
  return { entry, problems };
}

type At = (path: string, message: string, file?: string) => void;

function checkParameters(ajv: Ajv2020, schema: JsonSchema, at: At): Map<string, JsonSchema> {
  const properties = new Map<string, JsonSchema>();
  if (!metaAjv.validateSchema(schema)) {
    for (const p of ajvProblems(metaAjv.errors))
      at(`/spec/parameters${p.path}`, `not a valid JSON Schema: ${p.message}`);
    return properties;
  }
  try {
    const { $id: _id, ...withoutId } = schema;
    ajv.compile(withoutId);
  } catch (error) {
    at('/spec/parameters', `not a valid JSON Schema: ${(error as Error).message}`);
    return properties;
  }
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const keys = new Map<string, string>();
  for (const [name, prop] of Object.entries(props)) {
    properties.set(name, prop);
    const ptr = pointer('spec', 'parameters', 'properties', name);
    if (isSecretSchema(prop)) {
      if (prop.type !== 'string') at(joinPointer(ptr, 'type'), 'a secret parameter must be of type string');
      if ('default' in prop) at(joinPointer(ptr, 'default'), 'a secret parameter must not have a default');
      const key = typeof prop['x-envcat-secret-key'] === 'string' ? prop['x-envcat-secret-key'] : name;
      if (!SECRET_KEY.test(key) || key === TFVARS_KEY) {
        at(joinPointer(ptr, 'x-envcat-secret-key'), `"${key}" cannot be a Secret key`);
      } else if (keys.has(key)) {
        at(
          joinPointer(ptr, 'x-envcat-secret-key'),
          `key "${key}" is already used by parameter ${keys.get(key)}`,
        );
      }
      keys.set(key, name);
    } else if ('x-envcat-secret-key' in prop) {
      at(joinPointer(ptr, 'x-envcat-secret-key'), 'only goes with x-envcat-secret: true');
    }
  }
  checkNestedSecrets(schema, at);
  checkMessages(schema, at);
  checkDefaults(ajv, schema, at);
  return properties;
}

/** Only top-level parameters can be secret: a nested x-envcat-secret or writeOnly would leak into Git. */
function checkNestedSecrets(schema: JsonSchema, at: At): void {
  const topLevel = /^\/spec\/parameters\/properties\/[^/]+$/;
  forEachSubschema(schema, '/spec/parameters', (sub, ptr) => {
    if (topLevel.test(ptr)) return;
    if ('x-envcat-secret' in sub)
      at(joinPointer(ptr, 'x-envcat-secret'), 'only top-level parameters can be secret');
    else if (sub.writeOnly === true)
      at(joinPointer(ptr, 'writeOnly'), 'only top-level parameters can be secret');
  });
}

/** `x-envcat-messages` maps keywords to the message shown when that keyword fails: strings only. */
function checkMessages(schema: JsonSchema, at: At): void {
  const check = (sub: JsonSchema, ptr: string) => {
    if (!('x-envcat-messages' in sub)) return;
    const messages = sub['x-envcat-messages'];
    const where = joinPointer(ptr, 'x-envcat-messages');
    if (!isJsonObject(messages)) {
      at(where, 'must map keywords to messages, e.g. {pattern: "lower-case letters and digits"}');
      return;
    }
    for (const [keyword, message] of Object.entries(messages))
      if (typeof message !== 'string' || message.trim() === '')
        at(joinPointer(where, keyword), 'must be a message (text)');
  };
  check(schema, '/spec/parameters');
  forEachSubschema(schema, '/spec/parameters', (sub, ptr) => check(sub as JsonSchema, ptr));
}

/** Every `default` must satisfy the schema it sits in. */
function checkDefaults(ajv: Ajv2020, root: JsonSchema, at: At): void {
  forEachSubschema(root, '/spec/parameters', (sub, ptr) => {
    if (!('default' in sub)) return;
    const { default: value, $id: _id, ...rest } = sub;
    let validate;
    try {
      validate = ajv.compile({ ...rest, $defs: root.$defs ?? {} });
    } catch (error) {
      // A subschema whose $ref only resolves inside its parent is checked as part of the whole.
      if (error instanceof MissingRefError) return;
      throw error;
    }
    if (!validate(value)) {
      const first = ajvProblems(validate.errors)[0];
      const where = first?.path ? `${first.path} ` : '';
      at(
        joinPointer(ptr, 'default'),
        `default does not match its own schema: ${where}${first?.message ?? ''}`.trim(),
      );
    }
  });
}

function checkOutputs(
  doc: CatalogEntryDocument,
  at: At,
): Map<string, { schema: JsonSchema; sensitive: boolean }> {
  const outputs = new Map<string, { schema: JsonSchema; sensitive: boolean }>();
  (doc.spec.outputs ?? []).forEach((o, i) => {
    const ptr = pointer('spec', 'outputs', i);
    if (outputs.has(o.name)) at(joinPointer(ptr, 'name'), `output "${o.name}" is declared twice`);
    if (!metaAjv.validateSchema(o.schema)) at(joinPointer(ptr, 'schema'), 'not a valid JSON Schema');
    outputs.set(o.name, { schema: o.schema, sensitive: o.sensitive === true });
  });
  return outputs;
}

function checkReferences(
  references: Array<{ ref: TemplateReference; file: string }>,
  parameters: Map<string, JsonSchema>,
  outputs: Map<string, { schema: JsonSchema; sensitive: boolean }>,
  type: string,
  problems: Problem[],
): void {
  for (const { ref, file } of references) {
    const at = (message: string) => problems.push({ file, path: ref.pointer, message });
    if (ref.scope !== 'parameters' && ref.scope !== 'outputs') continue;
    let secret: boolean;
    if (ref.scope === 'parameters') {
      const schema = parameters.get(ref.name);
      if (!schema) {
        at(`parameter "${ref.name}" is not declared in spec.parameters`);
        continue;
      }
      secret = isSecretSchema(schema);
    } else {
      if (type !== 'hybrid') {
        at(`outputs.${ref.name}: only a hybrid entry's templates can use its own outputs`);
        continue;
      }
      const output = outputs.get(ref.name);
      if (!output) {
        at(`output "${ref.name}" is not declared in spec.outputs`);
        continue;
      }
      secret = output.sensitive;
    }
    const what = `${ref.scope}.${ref.name}`;
    if (ref.accessor && !secret) at(`${what}.${ref.accessor}: ${what} is not secret`);
    if (secret && !ref.accessor && !ref.whole) {
      at(`${what} is secret: use it as a whole value, or its .secretName / .secretKey, never inside text`);
    }
  }
}

function checkTerraform(args: {
  terraform: TerraformModule;
  spec: CatalogEntryDocument['spec'];
  parameters: Map<string, JsonSchema>;
  usedByTemplates: Set<string>;
  at: At;
  fileOf: (rel: string) => string;
}): void {
  const { terraform, spec, parameters, usedByTemplates, at, fileOf } = args;
  const required = new Set(
    Array.isArray(spec.parameters.required) ? (spec.parameters.required as string[]) : [],
  );
  for (const [name, schema] of parameters) {
    const ptr = pointer('spec', 'parameters', 'properties', name);
    const variable = terraform.variables.get(name);
    if (!variable) {
      if (spec.type === 'iac') at(ptr, `is not a variable of the Terraform module`);
      else if (!usedByTemplates.has(name))
        at(ptr, 'is used neither by the Terraform module nor by a template');
      continue;
    }
    const accepted = schemaTypesForTerraformType(variable.type);
    const declared =
      typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type : [];
    if (accepted && declared.length > 0 && !declared.every((t) => accepted.includes(String(t)))) {
      at(joinPointer(ptr, 'type'), `does not fit Terraform variable type ${variable.type}`);
    }
    const secret = isSecretSchema(schema);
    if (secret && !variable.sensitive) {
      at(
        `/variable/${name}`,
        `variable "${name}" receives a secret parameter and must set sensitive = true`,
        fileOf(variable.file),
      );
    }
    if (!secret && variable.sensitive)
      at(ptr, `Terraform variable "${name}" is sensitive: mark the parameter x-envcat-secret: true`);
  }
  for (const variable of terraform.variables.values()) {
    if (variable.hasDefault) continue;
    const schema = parameters.get(variable.name);
    if (!schema) {
      at(
        `/variable/${variable.name}`,
        `variable "${variable.name}" has no default and is not a parameter`,
        fileOf(variable.file),
      );
    } else if (!required.has(variable.name) && !('default' in schema)) {
      at(
        pointer('spec', 'parameters', 'properties', variable.name),
        `Terraform variable "${variable.name}" has no default: make the parameter required or give it a default`,
      );
    }
  }
  (spec.outputs ?? []).forEach((o, i) => {
    const tfOutput = terraform.outputs.get(o.name);
    if (!tfOutput)
      at(pointer('spec', 'outputs', i, 'name'), `"${o.name}" is not an output of the Terraform module`);
    else if (tfOutput.sensitive && o.sensitive !== true) {
      at(
        pointer('spec', 'outputs', i, 'sensitive'),
        `Terraform output "${o.name}" is sensitive: declare sensitive: true`,
      );
    }
  });
}

function digestOf(doc: CatalogEntryDocument, files: readonly EntryFile[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(canonicalize(doc)));
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (f.path === ENTRY_FILE || f.path.startsWith(`${EXAMPLES_DIR}/`)) continue;
    hash.update(`\u0000${f.path}\u0000${f.content}`);
  }
  return `sha256:${hash.digest('hex')}`;
}
