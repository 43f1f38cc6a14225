/** Whether every value an output schema admits is admitted by a parameter schema, as far as types tell. */
import { isSchema } from '../catalog/schema-keywords.js';
import type { JsonSchema, JsonValue } from '../catalog/types.js';

function typesOf(schema: JsonSchema): string[] | undefined {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.map(String);
  const values = 'const' in schema ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined;
  if (!values) return undefined;
  return [...new Set(values.map(jsonType))];
}

function jsonType(value: JsonValue | undefined): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function accepts(paramTypes: string[], type: string): boolean {
  return paramTypes.includes(type) || (type === 'integer' && paramTypes.includes('number'));
}

function describe(types: string[]): string {
  return types.join(' | ');
}

/** undefined when compatible; else why not. */
export function schemaIncompatibility(output: JsonSchema, parameter: JsonSchema): string | undefined {
  const outTypes = typesOf(output);
  const paramTypes = typesOf(parameter);
  if (paramTypes && outTypes) {
    const bad = outTypes.filter((t) => !accepts(paramTypes, t));
    if (bad.length > 0)
      return `output type ${describe(outTypes)} does not fit parameter type ${describe(paramTypes)}`;
  } else if (paramTypes && !outTypes) {
    return `output has no declared type; parameter needs ${describe(paramTypes)}`;
  }
  const allowed =
    'const' in parameter ? [parameter.const] : Array.isArray(parameter.enum) ? parameter.enum : undefined;
  if (allowed) {
    const produced =
      'const' in output ? [output.const] : Array.isArray(output.enum) ? output.enum : undefined;
    const key = (v: JsonValue | undefined) => JSON.stringify(v);
    if (!produced || produced.some((v) => !allowed.map(key).includes(key(v)))) {
      return 'parameter accepts only listed values, which the output does not guarantee';
    }
  }
  const outItems = output.items;
  const paramItems = parameter.items;
  if (isSchema(outItems) && isSchema(paramItems)) {
    const inner = schemaIncompatibility(outItems, paramItems);
    if (inner) return `items: ${inner}`;
  }
  return undefined;
}
