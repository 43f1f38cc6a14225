/** One way to build ajv instances and to turn ajv errors into problems with JSON pointers. */
import { Ajv2020, type ErrorObject, type Options } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { escapePointerToken } from '../names/index.js';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

/** Keywords envcat adds to parameter schemas (annotations; they do not change validation). */
export const ENVCAT_KEYWORDS = ['x-envcat-secret', 'x-envcat-secret-key'] as const;

export function createAjv(options: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, ...options });
  addFormats(ajv);
  for (const keyword of ENVCAT_KEYWORDS) ajv.addKeyword({ keyword, schemaType: ['boolean', 'string'] });
  return ajv;
}

export interface SchemaProblem {
  path: string;
  message: string;
}

/**
 * ajv errors as problems. Messages come from the schema (never echo the offending value, which may
 * be a secret). Paths point at the offending member, including missing and unknown properties.
 */
export function ajvProblems(errors: readonly ErrorObject[] | null | undefined, base = ''): SchemaProblem[] {
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const error of errors ?? []) {
    let path = base + error.instancePath;
    let message = error.message ?? 'is invalid';
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'required':
        path += `/${escapePointerToken(String(params.missingProperty))}`;
        message = 'is required';
        break;
      case 'additionalProperties':
        path += `/${escapePointerToken(String(params.additionalProperty))}`;
        message = 'is not a known property';
        break;
      case 'unevaluatedProperties':
        path += `/${escapePointerToken(String(params.unevaluatedProperty))}`;
        message = 'is not a known property';
        break;
      case 'enum':
        message = `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'const':
        message = `must be ${JSON.stringify(params.allowedValue)}`;
        break;
      case 'if':
        continue;
      default:
        break;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message });
  }
  return problems;
}
