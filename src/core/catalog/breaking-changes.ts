/**
 * What a new version of an entry breaks for requests written against the previous one: a removed
 * or renamed parameter, a new required parameter without a default, a narrowed type, enum,
 * pattern or range, a removed output (with the running environments that reference it). Pure.
 * Each change points into the new version's catalog.yaml.
 */
import semver from 'semver';
import { jsonEqual } from '../json/index.js';
import { joinPointer, pointer } from '../names/index.js';
import type { CatalogEntryDocument, JsonSchema, JsonValue } from './types.js';

export interface BreakingChange {
  /** JSON pointer into the new version's catalog.yaml. */
  path: string;
  message: string;
}

/** A running environment's instance of the entry whose output another instance takes. */
export interface OutputUse {
  environment: string;
  /** The instance of the entry. */
  instance: string;
  output: string;
}

/** Keywords that describe a schema without constraining it: two schemas differing only in them accept the same values. */
const ANNOTATIONS = new Set(['title', 'description', 'examples', '$comment', 'default', 'deprecated']);

/** Every breaking change of `next` against `previous`, in catalog.yaml order (parameters, then outputs). */
export function breakingChanges(args: {
  previous: CatalogEntryDocument;
  next: CatalogEntryDocument;
  /** The outputs of the entry that running environments reference (any version of it). */
  outputUses?: readonly OutputUse[];
}): BreakingChange[] {
  const changes: BreakingChange[] = [];
  compareObject({
    before: args.previous.spec.parameters,
    after: args.next.spec.parameters,
    at: '/spec/parameters',
    prefix: '',
    changes,
  });
  compareOutputs(args.previous, args.next, args.outputUses ?? [], changes);
  return changes;
}

/**
 * Whether semver lets `next` break what `previous` promised: only when requests pinned with a
 * caret range on the previous version (`^1.2.0`, `^0.3.0`) would not pick it up, i.e. a new major
 * version, or a new minor one below 1.0.0.
 */
export function mayBreak(previous: string, next: string): boolean {
  return !semver.satisfies(next, `^${previous}`, { includePrerelease: true });
}

/** The properties of an object schema; `prefix` names nested ones (`config.size`). */
function compareObject(args: {
  before: JsonSchema;
  after: JsonSchema;
  at: string;
  prefix: string;
  changes: BreakingChange[];
}): void {
  const { before, after, at, prefix, changes } = args;
  const what = (name: string) => `parameter "${prefix}${name}"`;
  const oldProps = propertiesOf(before);
  const newProps = propertiesOf(after);
  const removed = [...oldProps.keys()].filter((name) => !newProps.has(name));
  const added = [...newProps.keys()].filter((name) => !oldProps.has(name));
  const renamedTo = new Set<string>();
  for (const name of removed) {
    const schema = oldProps.get(name)!;
    const target = added.find((a) => !renamedTo.has(a) && sameConstraints(schema, newProps.get(a)!));
    if (target !== undefined) {
      renamedTo.add(target);
      changes.push({
        path: joinPointer(at, 'properties', target),
        message: `${what(name)} is renamed to "${prefix}${target}" (removed, and added with the same schema): requests that set "${prefix}${name}" break`,
      });
    } else {
      changes.push({
        path: joinPointer(at, 'properties'),
        message: `${what(name)} is removed: requests that set it break`,
      });
    }
  }

  const oldRequired = requiredOf(before);
  requiredOf(after).forEach((name, index) => {
    const schema = newProps.get(name);
    if (schema && 'default' in schema) return;
    if (oldRequired.includes(name)) return;
    changes.push({
      path: joinPointer(at, 'required', index),
      message: oldProps.has(name)
        ? `${what(name)} is required now and has no default: requests that leave it out break`
        : `new ${what(name)} is required and has no default: requests written for the previous version leave it out`,
    });
  });

  for (const [name, schema] of newProps) {
    const old = oldProps.get(name);
    if (old)
      compareSchema({
        before: old,
        after: schema,
        at: joinPointer(at, 'properties', name),
        name: `${prefix}${name}`,
        changes,
      });
  }
}

/** The constraints of one value's schema (type, enum, pattern, ranges), then its nested properties and items. */
function compareSchema(args: {
  before: JsonSchema;
  after: JsonSchema;
  at: string;
  name: string;
  changes: BreakingChange[];
}): void {
  const { before, after, at, name, changes } = args;
  const push = (keyword: string, message: string) =>
    changes.push({ path: joinPointer(at, keyword), message: `parameter "${name}": ${message}` });

  const oldTypes = typesOf(before);
  const newTypes = typesOf(after);
  if (newTypes) {
    const lost = (oldTypes ?? ALL_TYPES).filter((t) => !accepts(newTypes, t));
    if (lost.length > 0)
      push(
        'type',
        `type narrowed from ${oldTypes ? oldTypes.join(' | ') : 'any'} to ${newTypes.join(' | ')}`,
      );
  }

  const oldEnum = enumOf(before);
  const newEnum = enumOf(after);
  if (newEnum) {
    const keyword = Array.isArray(after.enum) ? 'enum' : 'const';
    if (!oldEnum) push(keyword, `values are limited to ${listValues(newEnum)} now`);
    else {
      const lost = oldEnum.filter((v) => !newEnum.some((n) => jsonEqual(n, v)));
      if (lost.length > 0)
        push(keyword, `${listValues(lost)} ${lost.length === 1 ? 'is' : 'are'} no longer allowed`);
    }
  }

  if (typeof after.pattern === 'string' && after.pattern !== before.pattern) {
    push(
      'pattern',
      typeof before.pattern === 'string'
        ? `pattern changed from ${JSON.stringify(before.pattern)} to ${JSON.stringify(after.pattern)}: values the old one accepted may be refused`
        : `pattern ${JSON.stringify(after.pattern)} is new: values it does not match are refused`,
    );
  }

  const lower = (s: JsonSchema, inclusive: string, exclusive: string) =>
    bound(s, inclusive, exclusive, 'lower');
  const upper = (s: JsonSchema, inclusive: string, exclusive: string) =>
    bound(s, inclusive, exclusive, 'upper');
  for (const [inclusive, exclusive] of [
    ['minimum', 'exclusiveMinimum'],
    ['minLength', ''],
    ['minItems', ''],
  ] as const) {
    const was = lower(before, inclusive, exclusive);
    const now = lower(after, inclusive, exclusive);
    if (
      now &&
      (!was || now.value > was.value || (now.value === was.value && now.exclusive && !was.exclusive))
    )
      push(now.keyword, `${describeBound(now)} (was ${was ? describeBound(was) : 'unbounded'})`);
  }
  for (const [inclusive, exclusive] of [
    ['maximum', 'exclusiveMaximum'],
    ['maxLength', ''],
    ['maxItems', ''],
  ] as const) {
    const was = upper(before, inclusive, exclusive);
    const now = upper(after, inclusive, exclusive);
    if (
      now &&
      (!was || now.value < was.value || (now.value === was.value && now.exclusive && !was.exclusive))
    )
      push(now.keyword, `${describeBound(now)} (was ${was ? describeBound(was) : 'unbounded'})`);
  }

  if (isSchemaObject(before.items) && isSchemaObject(after.items))
    compareSchema({
      before: before.items,
      after: after.items,
      at: joinPointer(at, 'items'),
      name: `${name}[]`,
      changes,
    });
  if (before.properties !== undefined || after.properties !== undefined)
    compareObject({ before, after, at, prefix: `${name}.`, changes });
}

function compareOutputs(
  previous: CatalogEntryDocument,
  next: CatalogEntryDocument,
  uses: readonly OutputUse[],
  changes: BreakingChange[],
): void {
  const kept = new Set((next.spec.outputs ?? []).map((o) => o.name));
  for (const output of previous.spec.outputs ?? []) {
    if (kept.has(output.name)) continue;
    const users = uses.filter((u) => u.output === output.name);
    const environments = [...new Set(users.map((u) => u.environment))].sort();
    const running =
      environments.length === 0
        ? ''
        : `; running environments reference it: ${environments
            .map((env) => {
              const instances = [
                ...new Set(users.filter((u) => u.environment === env).map((u) => u.instance)),
              ];
              return `${env} (${instances.map((i) => `${i}.${output.name}`).join(', ')})`;
            })
            .join(', ')}`;
    changes.push({
      path: pointer('spec', 'outputs'),
      message: `output "${output.name}" is removed: requests that take it with fromOutput break${running}`,
    });
  }
}

const ALL_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

function typesOf(schema: JsonSchema): string[] | undefined {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  return undefined;
}

/** An integer is a number; a number is not (always) an integer. */
function accepts(types: string[], type: string): boolean {
  return types.includes(type) || (type === 'integer' && types.includes('number'));
}

function enumOf(schema: JsonSchema): JsonValue[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum;
  if ('const' in schema) return [schema.const as JsonValue];
  return undefined;
}

function listValues(values: readonly JsonValue[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

interface Bound {
  keyword: string;
  value: number;
  exclusive: boolean;
  side: 'lower' | 'upper';
}

/** The tighter of a schema's inclusive and exclusive bound on one side. */
function bound(
  schema: JsonSchema,
  inclusive: string,
  exclusive: string,
  side: 'lower' | 'upper',
): Bound | undefined {
  const candidates: Bound[] = [];
  if (typeof schema[inclusive] === 'number')
    candidates.push({ keyword: inclusive, value: schema[inclusive], exclusive: false, side });
  if (exclusive && typeof schema[exclusive] === 'number')
    candidates.push({ keyword: exclusive, value: schema[exclusive], exclusive: true, side });
  const tighter = (a: Bound, b: Bound) => {
    if (a.value !== b.value) return (side === 'lower' ? a.value > b.value : a.value < b.value) ? a : b;
    return a.exclusive ? a : b;
  };
  return candidates.reduce<Bound | undefined>((best, b) => (best ? tighter(best, b) : b), undefined);
}

function describeBound(b: Bound): string {
  return `${b.keyword} ${b.value}`;
}

function propertiesOf(schema: JsonSchema): Map<string, JsonSchema> {
  const props = schema.properties;
  const result = new Map<string, JsonSchema>();
  if (!isSchemaObject(props)) return result;
  for (const [name, value] of Object.entries(props)) if (isSchemaObject(value)) result.set(name, value);
  return result;
}

function requiredOf(schema: JsonSchema): string[] {
  return Array.isArray(schema.required)
    ? schema.required.filter((r): r is string => typeof r === 'string')
    : [];
}

function isSchemaObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Equal once annotations (title, description, default, ...) are set aside, at every level. */
function sameConstraints(a: JsonSchema, b: JsonSchema): boolean {
  return jsonEqual(constraints(a), constraints(b));
}

/** Keywords whose values map names to schemas: their keys are names, not keywords. */
const NAMED_SCHEMAS = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas']);

function constraints(schema: JsonValue): JsonValue {
  if (Array.isArray(schema)) return schema.map(constraints);
  if (!isSchemaObject(schema)) return schema;
  const result: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key)) continue;
    result[key] =
      NAMED_SCHEMAS.has(key) && isSchemaObject(value)
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, constraints(sub)]))
        : constraints(value);
  }
  return result;
}
