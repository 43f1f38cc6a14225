/**
 * From a catalog entry's parameter schema (JSON Schema 2020-12) to what react-jsonschema-form needs:
 * the schema it renders and validates (`formSchema`) and the uiSchema that says how
 * (`schemaToUiSchema`). Pure, so the mapping is tested without a browser.
 */
import type { JsonSchema } from '../../api/contract.js';
import { isSchema, isSecretSchema, schemaAtPath, schemaErrorMessage } from '../../core/browser.js';

export const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** Name under which the form registers the field that shows an output reference. */
export const REFERENCE_FIELD = 'envcatReference';

export type UiSchema = { [key: string]: unknown };

/** `allocatedStorage` → `Allocated storage`, `db_name` → `Db name`: a label for a property without a title. */
export function humanize(name: string): string {
  const words = name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function typesOf(schema: JsonSchema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  return [];
}

function properties(schema: JsonSchema): Array<[string, JsonSchema]> {
  const props = schema.properties;
  if (!isSchema(props)) return [];
  return Object.entries(props).filter((entry): entry is [string, JsonSchema] => isSchema(entry[1]));
}

function requiredOf(schema: JsonSchema): string[] {
  return Array.isArray(schema.required)
    ? schema.required.filter((r): r is string => typeof r === 'string')
    : [];
}

export interface UiSchemaOptions {
  /** Parameters fed by an output reference, by name: rendered by the reference field, not an input. */
  references?: Readonly<Record<string, string>>;
  /** Names of secret parameters as the API lists them (in addition to `writeOnly`/`x-envcat-secret`). */
  secretParameters?: readonly string[];
  /**
   * Secret parameters of a running instance being edited: the form never has their values (Git
   * holds a reference, the value is in a Secret); left empty they keep them, typed they change
   * them. Not required, and their help says so.
   */
  kept?: readonly string[];
}

export const KEPT_SECRET_HELP =
  'Leave empty to keep the current value (it is not shown); type a new one to change it.';

/**
 * The uiSchema for an entry's parameters: secrets as password inputs that browsers do not offer to
 * save, enums as selects, descriptions as help text under the input (tied to it by
 * aria-describedby), `readOnly` as read-only inputs, a label for every property without a title,
 * the first example as placeholder, and required properties first.
 */
export function schemaToUiSchema(schema: JsonSchema, options: UiSchemaOptions = {}): UiSchema {
  const secrets = new Set(options.secretParameters ?? []);
  const references = options.references ?? {};
  const kept = new Set(options.kept ?? []);
  const ui = objectUi(schema, (name, property) => {
    if (references[name] !== undefined) return referenceUi(name, property);
    const field = fieldUi(name, property, secrets.has(name));
    if (kept.has(name)) {
      const help = typeof field['ui:help'] === 'string' ? `${field['ui:help']} ` : '';
      field['ui:help'] = `${help}${KEPT_SECRET_HELP}`;
    }
    return field;
  });
  return ui;
}

function objectUi(schema: JsonSchema, field: (name: string, property: JsonSchema) => UiSchema): UiSchema {
  const ui: UiSchema = {};
  const props = properties(schema);
  if (props.length === 0) return ui;
  const required = new Set(requiredOf(schema));
  const names = props.map(([name]) => name);
  ui['ui:order'] = [...names.filter((n) => required.has(n)), ...names.filter((n) => !required.has(n)), '*'];
  for (const [name, property] of props) ui[name] = field(name, property);
  return ui;
}

function fieldUi(name: string, schema: JsonSchema, listedSecret: boolean): UiSchema {
  const ui: UiSchema = {};
  if (typeof schema.title !== 'string') ui['ui:title'] = humanize(name);
  Object.assign(ui, valueUi(schema, listedSecret));
  return ui;
}

function valueUi(schema: JsonSchema, listedSecret: boolean): UiSchema {
  const ui: UiSchema = {};
  const types = typesOf(schema);
  if (typeof schema.description === 'string' && schema.description !== '') ui['ui:help'] = schema.description;
  if (listedSecret || isSecretSchema(schema)) {
    ui['ui:widget'] = 'password';
    ui['ui:autocomplete'] = 'new-password';
  } else if (Array.isArray(schema.enum) && !types.includes('boolean')) {
    ui['ui:widget'] = 'select';
  }
  if (schema.readOnly === true) ui['ui:readonly'] = true;
  const example = Array.isArray(schema.examples) ? schema.examples[0] : undefined;
  if (typeof example === 'string' || typeof example === 'number') ui['ui:placeholder'] = `e.g. ${example}`;
  if (types.includes('object'))
    Object.assign(
      ui,
      objectUi(schema, (n, p) => fieldUi(n, p, false)),
    );
  if (types.includes('array') && isSchema(schema.items)) {
    const items = valueUi(schema.items, false);
    if (Object.keys(items).length > 0) ui.items = items;
  }
  return ui;
}

function referenceUi(name: string, schema: JsonSchema): UiSchema {
  // The reference field renders its own label: there is no input for a <label> to point at.
  return {
    'ui:field': REFERENCE_FIELD,
    'ui:label': false,
    ...(typeof schema.title === 'string' ? {} : { 'ui:title': humanize(name) }),
    ...(typeof schema.description === 'string' && schema.description !== ''
      ? { 'ui:help': schema.description }
      : {}),
  };
}

/**
 * The schema the form renders and validates: draft 2020-12 declared, descriptions moved out (the
 * uiSchema shows them as help, so they would appear twice), and every parameter fed by an output
 * reference reduced to its title and dropped from `required`, so its value (set by the server from
 * the output) is not checked against the literal's constraints.
 */
export function formSchema(
  schema: JsonSchema,
  options: Pick<UiSchemaOptions, 'references' | 'kept'> = {},
): JsonSchema {
  const references = options.references ?? {};
  const copy = withoutDescriptions(schema, true);
  if (copy.$schema === undefined) copy.$schema = DRAFT_2020_12;
  const kept = new Set(options.kept ?? []);
  if (kept.size > 0) {
    const required = requiredOf(copy).filter((r) => !kept.has(r));
    if (required.length > 0) copy.required = required;
    else delete copy.required;
  }
  const referenced = Object.keys(references);
  if (referenced.length === 0) return copy;
  const props = isSchema(copy.properties) ? { ...copy.properties } : {};
  for (const name of referenced) {
    const original = props[name];
    if (!isSchema(original)) continue;
    props[name] = { title: typeof original.title === 'string' ? original.title : humanize(name) };
  }
  copy.properties = props;
  const required = requiredOf(copy).filter((r) => references[r] === undefined);
  if (required.length > 0) copy.required = required;
  else delete copy.required;
  return copy;
}

function withoutDescriptions(schema: JsonSchema, root: boolean): JsonSchema {
  const copy: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' && !root) continue;
    if (key === 'properties' && isSchema(value)) {
      copy.properties = Object.fromEntries(
        Object.entries(value).map(([name, p]) => [name, isSchema(p) ? withoutDescriptions(p, false) : p]),
      );
    } else if (key === 'items' && isSchema(value)) {
      copy.items = withoutDescriptions(value, false);
    } else {
      copy[key] = value;
    }
  }
  return copy;
}

/** The top-level property schemas of an entry's parameters, by name. */
export function parameterSchemas(schema: JsonSchema): Map<string, JsonSchema> {
  return new Map(properties(schema));
}

/** A short type label for a schema, as shown next to outputs and references: `string`, `array of string`. */
export function typeLabel(schema: JsonSchema): string {
  const types = typesOf(schema);
  if (types.length === 0) return Array.isArray(schema.enum) ? 'enum' : 'any';
  return types
    .map((t) => (t === 'array' && isSchema(schema.items) ? `array of ${typeLabel(schema.items)}` : t))
    .join(' | ');
}

/** A form validation error as react-jsonschema-form reports it (the fields this needs). */
export interface FormError {
  name?: string;
  params?: Record<string, unknown>;
  schemaPath?: string;
  message?: string;
}

/**
 * The message a form shows for an error, in the words the server uses for the same error
 * (`schemaErrorMessage`): titles, and the entry's own `x-envcat-messages`. `root` is the entry's
 * parameter schema; the form's schema has the same shape, so the error's schema path fits it.
 */
export function formErrorMessage(error: FormError, root: JsonSchema): string {
  if (!error.name) return error.message ?? 'is not valid';
  return schemaErrorMessage({
    keyword: error.name,
    params: error.params ?? {},
    schema: error.schemaPath ? schemaAtPath(root, error.schemaPath) : undefined,
  });
}
