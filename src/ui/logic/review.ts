/**
 * The parameters of an instance as the review lists them: by the titles the form used, the values
 * the user chose (or that an output feeds) first, and the ones left at their defaults apart and
 * marked. Secret values are never shown.
 */
import type { CatalogVersion, JsonValue } from '../../api/contract.js';
import { isSecretSchema } from '../../core/browser.js';
import { humanize, parameterSchemas } from './schema.js';
import type { InstanceDraft } from './wizard.js';

export interface ReviewRow {
  name: string;
  title: string;
  value: string;
  kind: 'chosen' | 'default' | 'reference' | 'secret';
}

export const MASKED = '•••••••• (secret)';

function display(value: JsonValue): string {
  return typeof value === 'string' ? (value === '' ? '""' : value) : JSON.stringify(value);
}

function same(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** In the schema's order; parameters with neither a value nor a default are left out. */
export function reviewRows(
  instance: Pick<InstanceDraft, 'values' | 'references'>,
  version: Pick<CatalogVersion, 'parameters' | 'secretParameters'>,
): { chosen: ReviewRow[]; defaults: ReviewRow[] } {
  const chosen: ReviewRow[] = [];
  const defaults: ReviewRow[] = [];
  const schemas = parameterSchemas(version.parameters);
  const names = [
    ...schemas.keys(),
    ...Object.keys(instance.values).filter((n) => !schemas.has(n)),
    ...Object.keys(instance.references).filter((n) => !schemas.has(n) && !(n in instance.values)),
  ];
  for (const name of names) {
    const schema = schemas.get(name);
    const title = typeof schema?.title === 'string' ? schema.title : humanize(name);
    const reference = instance.references[name];
    if (reference !== undefined) {
      chosen.push({ name, title, value: reference, kind: 'reference' });
      continue;
    }
    const value = instance.values[name];
    const fallback = schema?.default;
    const secret = version.secretParameters.includes(name) || isSecretSchema(schema);
    if (value === undefined) {
      if (fallback !== undefined) defaults.push({ name, title, value: display(fallback), kind: 'default' });
    } else if (secret) chosen.push({ name, title, value: MASKED, kind: 'secret' });
    else if (fallback !== undefined && same(value, fallback))
      defaults.push({ name, title, value: display(value), kind: 'default' });
    else chosen.push({ name, title, value: display(value), kind: 'chosen' });
  }
  return { chosen, defaults };
}
