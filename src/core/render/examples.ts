/**
 * An entry's examples are tests (catalogs/README.md, Examples): each `examples/*.yaml` is an
 * Environment request that uses the entry, validates against the catalog with this version of
 * the entry in it, and renders every step (phase 2 with a plausible value for every output).
 * Pure: `catalog validate` and publish call it with what they loaded.
 */
import { Catalog } from '../catalog/catalog.js';
import type { CatalogEntry, JsonSchema, JsonValue } from '../catalog/types.js';
import { InputError, type Problem } from '../errors/index.js';
import { checkEnvironment } from '../environment/validate.js';
import type { ResolvedEnvironment } from '../environment/types.js';
import { parseYamlDocument, yamlProblem } from '../yaml/index.js';
import { renderEnvironment, type OutputValues } from './index.js';
import { renderOptions } from './options.js';

const EXAMPLE_RENDER_OPTIONS = renderOptions({
  appsRepo: { url: 'https://git.example.invalid/envcat/apps.git', revision: 'main' },
});

/**
 * Every problem of the entry's examples; none when it has none. `others` supplies the entries the
 * examples also use; of this entry's name only `entry` itself is offered, so an example that asks
 * for another version of it is a problem.
 */
export function checkExamples(args: { entry: CatalogEntry; others: Catalog }): Problem[] {
  const { entry, others } = args;
  const examples = entry.examples ?? [];
  if (examples.length === 0) return [];
  const dir = entry.source.endsWith('catalog.yaml') ? entry.source.slice(0, -'catalog.yaml'.length) : '';
  const catalog = new Catalog([...others.entries().filter((e) => e.name !== entry.name), entry]);
  const problems: Problem[] = [];
  for (const example of examples) {
    const file = `${dir}${example.path}`;
    let document: JsonValue;
    try {
      document = parseYamlDocument(example.content);
    } catch (error) {
      problems.push(yamlProblem(error, file));
      continue;
    }
    const check = checkEnvironment(document, catalog);
    if (!check.environment || !check.plan) {
      problems.push(...check.problems.map((p) => ({ ...p, file: p.file ?? file })));
      continue;
    }
    const env = check.environment;
    if (!env.instances.some((i) => i.entry.name === entry.name)) {
      problems.push({ file, path: '/spec/catalogs', message: `no instance uses the entry ${entry.name}` });
      continue;
    }
    try {
      renderEnvironment({
        env,
        plan: check.plan,
        outputs: sampleOutputs(env),
        options: EXAMPLE_RENDER_OPTIONS,
      });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems.map((p) => ({ ...p, file: p.file ?? file })));
    }
  }
  return problems;
}

/** A plausible value for an output schema, the same every time. */
export function sampleValue(schema: JsonSchema, name: string): JsonValue {
  if ('const' in schema) return schema.const as JsonValue;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0] as JsonValue;
  if (Array.isArray(schema.enum)) return schema.enum[0] as JsonValue;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return 5432;
    case 'boolean':
      return true;
    case 'array':
      return [
        sampleValue((schema.items as JsonSchema) ?? { type: 'string' }, `${name}-0`),
        sampleValue((schema.items as JsonSchema) ?? { type: 'string' }, `${name}-1`),
      ];
    case 'object':
      return { name };
    default:
      return `example-${name.toLowerCase()}`;
  }
}

/** Output values for every infra instance of an environment, as a provider would report them. */
export function sampleOutputs(env: ResolvedEnvironment): OutputValues {
  const outputs: Record<string, Record<string, JsonValue>> = {};
  for (const instance of env.instances) {
    for (const o of instance.entry.document.spec.outputs ?? []) {
      if (o.sensitive) continue;
      (outputs[instance.name] ??= {})[o.name] = sampleValue(o.schema, o.name);
    }
  }
  return outputs;
}
