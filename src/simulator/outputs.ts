/**
 * Output values of a simulated `terraform apply`: deterministic (the same Workspace name and inputs
 * always give the same values), typed from the catalog entry's output schema when there is one, and
 * plausible by name (an endpoint looks like a host name, an ARN like an ARN, a VPC id like a VPC id).
 * Pure.
 */
import { createHash } from 'node:crypto';
import type { JsonSchema, JsonValue } from '../core/index.js';

export interface OutputSpec {
  name: string;
  sensitive: boolean;
  /** The catalog entry's declared schema, when the Workspace resolves to an entry. */
  schema?: JsonSchema;
}

export interface OutputContext {
  /** The Workspace's name (`<env>-<instance>`): the seed of every generated value. */
  workspace: string;
  /** The module's input values (`vars` and `varmap`), by variable name. */
  inputs: Readonly<Record<string, JsonValue>>;
  /** The module provisions PostgreSQL (RDS): endpoints look like RDS endpoints, the port is 5432. */
  postgres: boolean;
}

const DEFAULT_REGION = 'eu-west-1';
const ACCOUNT_DIGITS = 12;

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

function hex(seed: string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += digest(seed, String(i));
  return out.slice(0, length);
}

function stableNumber(seed: string, min: number, max: number): number {
  return min + (parseInt(hex(seed, 8), 16) % (max - min + 1));
}

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

function password(seed: string, length = 24): string {
  const bytes = Buffer.from(hex(seed, length * 2), 'hex');
  return [...bytes].map((b) => PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length]).join('');
}

/** The name split into lower-case words: `privateSubnetIds` → [private, subnet, ids]. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

function singular(word: string): string {
  return word.endsWith('ies') ? `${word.slice(0, -3)}y` : word.endsWith('s') ? word.slice(0, -1) : word;
}

function dnsLabel(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'x'
  );
}

function schemaType(schema: JsonSchema | undefined): string | undefined {
  if (!schema) return undefined;
  const type = schema.type;
  if (Array.isArray(type)) return type.find((t) => t !== 'null') as string | undefined;
  return typeof type === 'string' ? type : undefined;
}

/** An input the output plausibly echoes: the same name, or a longer one ending in it (`masterUsername` for `username`). */
function echoedInput(name: string, inputs: Readonly<Record<string, JsonValue>>): JsonValue | undefined {
  const direct = inputs[name];
  if (direct !== undefined && direct !== '' && direct !== null) return direct;
  const suffix = name.charAt(0).toUpperCase() + name.slice(1);
  const key = Object.keys(inputs)
    .sort()
    .find((k) => k.endsWith(suffix) && inputs[k] !== '' && inputs[k] !== null);
  return key === undefined ? undefined : inputs[key];
}

function region(ctx: OutputContext): string {
  const value = ctx.inputs.region;
  return typeof value === 'string' && value !== '' ? value : DEFAULT_REGION;
}

/** A plausible string for an output of this name. */
function stringByName(name: string, ctx: OutputContext, seed: string): string {
  const w = words(name);
  const last = w[w.length - 1] ?? '';
  const id = hex(seed, 17);
  const host = ctx.postgres
    ? `${dnsLabel(ctx.workspace)}.c${hex(`${ctx.workspace}/host`, 12)}.${region(ctx)}.rds.amazonaws.com`
    : `${dnsLabel(ctx.workspace)}.${hex(`${ctx.workspace}/host`, 10)}.${region(ctx)}.envcat.internal`;
  if (['endpoint', 'host', 'hostname', 'address', 'fqdn', 'dns'].includes(last)) return host;
  if (last === 'url' || last === 'uri') return `https://${host}`;
  if (last === 'arn') {
    if (w.includes('bucket')) return `arn:aws:s3:::${bucketName(ctx)}`;
    const account = String(
      stableNumber(`${ctx.workspace}/account`, 10 ** (ACCOUNT_DIGITS - 1), 10 ** ACCOUNT_DIGITS - 1),
    );
    const service = w.length > 1 ? w[0] : 'resource';
    return `arn:aws:${service}:${region(ctx)}:${account}:${dnsLabel(ctx.workspace)}-${id.slice(0, 8)}`;
  }
  if (last === 'id' || last === 'ids') {
    const kind = w.length > 1 ? singular(w[w.length - 2] ?? '') : 'id';
    return `${kind}-${id}`;
  }
  if (last === 'name' || last === 'names') {
    if (w.includes('bucket')) return bucketName(ctx);
    return `${dnsLabel(ctx.workspace)}-${singular(w.slice(0, -1).join('-') || 'resource')}`;
  }
  if (last === 'region') return region(ctx);
  if (last === 'cidr' || (last === 'block' && w.includes('cidr'))) return '10.0.0.0/16';
  if (['password', 'secret', 'token', 'key'].includes(last)) return password(seed);
  if (last === 'username' || last === 'user') return 'envcat_admin';
  return `${dnsLabel(ctx.workspace)}-${dnsLabel(name)}`;
}

function bucketName(ctx: OutputContext): string {
  const given = ctx.inputs.bucketName;
  if (typeof given === 'string' && given !== '') return given;
  return `envcat-${dnsLabel(ctx.workspace)}-${hex(`${ctx.workspace}/bucket`, 8)}`.slice(0, 63);
}

function portByName(ctx: OutputContext, seed: string): number {
  return ctx.postgres ? 5432 : stableNumber(seed, 1024, 49151);
}

function isPort(name: string): boolean {
  const w = words(name);
  return w[w.length - 1] === 'port';
}

function fitsPattern(value: JsonValue, schema: JsonSchema): boolean {
  if (typeof value !== 'string' || typeof schema.pattern !== 'string') return true;
  try {
    return new RegExp(schema.pattern, 'u').test(value);
  } catch {
    return true;
  }
}

/** A value for one output, of the schema's type when there is a schema. */
export function outputValue(spec: OutputSpec, ctx: OutputContext): JsonValue {
  return valueFor(spec.name, spec.schema, ctx, `${ctx.workspace}/${spec.name}`, 0);
}

function valueFor(
  name: string,
  schema: JsonSchema | undefined,
  ctx: OutputContext,
  seed: string,
  depth: number,
): JsonValue {
  if (schema && 'const' in schema) return schema.const as JsonValue;
  if (schema && Array.isArray(schema.enum) && schema.enum.length > 0)
    return schema.enum[stableNumber(seed, 0, schema.enum.length - 1)] as JsonValue;
  const echoed = echoedInput(name, ctx.inputs);
  const type =
    schemaType(schema) ?? (isPort(name) ? 'integer' : depth === 0 && /Ids$/.test(name) ? 'array' : 'string');
  if (echoed !== undefined && matchesType(echoed, type)) return echoed;
  let value: JsonValue;
  switch (type) {
    case 'integer':
    case 'number': {
      const min = typeof schema?.minimum === 'number' ? schema.minimum : undefined;
      const max = typeof schema?.maximum === 'number' ? schema.maximum : undefined;
      value = isPort(name) ? portByName(ctx, seed) : stableNumber(seed, min ?? 1, max ?? 1000);
      break;
    }
    case 'boolean':
      value = true;
      break;
    case 'array': {
      const items = (schema?.items as JsonSchema | undefined) ?? undefined;
      const itemName = words(name).length > 0 ? singular(name) : name;
      value =
        depth > 3
          ? []
          : [0, 1].map((i) =>
              valueFor(itemName, items ?? { type: 'string' }, ctx, `${seed}[${i}]`, depth + 1),
            );
      break;
    }
    case 'object': {
      const properties = (schema?.properties as Record<string, JsonSchema> | undefined) ?? {};
      const entries = Object.keys(properties)
        .sort()
        .map((key) => [
          key,
          depth > 3 ? null : valueFor(key, properties[key], ctx, `${seed}.${key}`, depth + 1),
        ]);
      value = entries.length > 0 ? Object.fromEntries(entries) : { name: stringByName('name', ctx, seed) };
      break;
    }
    default:
      value = stringByName(name, ctx, seed);
  }
  if (schema && !fitsPattern(value, schema) && Array.isArray(schema.examples) && schema.examples.length > 0)
    return schema.examples[0] as JsonValue;
  return value;
}

function matchesType(value: JsonValue, type: string): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      return typeof value === 'string';
  }
}

/** Every output's value, by name. */
export function simulateOutputs(specs: readonly OutputSpec[], ctx: OutputContext): Record<string, JsonValue> {
  const outputs: Record<string, JsonValue> = {};
  for (const spec of [...specs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    outputs[spec.name] = outputValue(spec, ctx);
  return outputs;
}

/** Only the outputs Terraform does not mark sensitive: what `status.atProvider.outputs` shows. */
export function publicOutputs(
  specs: readonly OutputSpec[],
  values: Readonly<Record<string, JsonValue>>,
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const spec of specs) {
    const value = values[spec.name];
    if (!spec.sensitive && value !== undefined) out[spec.name] = value;
  }
  return out;
}

/**
 * A connection Secret's `data`: every output, strings as their raw bytes and other values
 * JSON-encoded (as provider-terraform writes them), base64-encoded for the API.
 */
export function connectionSecretData(values: Readonly<Record<string, JsonValue>>): Record<string, string> {
  const data: Record<string, string> = {};
  for (const name of Object.keys(values).sort()) {
    const value = values[name] as JsonValue;
    const raw = typeof value === 'string' ? value : JSON.stringify(value);
    data[name] = Buffer.from(raw, 'utf8').toString('base64');
  }
  return data;
}
