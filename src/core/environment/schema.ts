import { IDENTIFIER } from '../catalog/entry-schema.js';
import type { JsonSchema } from '../catalog/types.js';

const QUANTITY = '^[0-9]+(\\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$';

export const environmentSchema: JsonSchema = {
  $id: 'https://envcat.io/schemas/v1alpha1/environment.json',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'envcat.io/v1alpha1' },
    kind: { const: 'Environment' },
    metadata: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 63 },
        labels: {
          type: 'object',
          maxProperties: 64,
          additionalProperties: { type: 'string', maxLength: 63 },
        },
        annotations: {
          type: 'object',
          maxProperties: 64,
          additionalProperties: { type: 'string', maxLength: 65536 },
        },
      },
    },
    spec: {
      type: 'object',
      required: ['type', 'catalogs'],
      additionalProperties: false,
      properties: {
        namespace: { type: 'string', minLength: 1, maxLength: 63 },
        type: { enum: ['pre-release', 'release'] },
        description: { type: 'string', maxLength: 2000 },
        owner: { type: 'string', maxLength: 253 },
        ttl: { type: 'string', maxLength: 32 },
        notify: {
          type: 'array',
          maxItems: 10,
          items: {
            type: 'object',
            required: ['url'],
            additionalProperties: false,
            properties: { url: { type: 'string', minLength: 1, maxLength: 2048 } },
          },
        },
        timeouts: {
          type: 'object',
          additionalProperties: false,
          properties: {
            infra: { type: 'string', maxLength: 32 },
            apps: { type: 'string', maxLength: 32 },
          },
        },
        isolation: {
          type: 'object',
          additionalProperties: false,
          properties: {
            networkPolicy: { type: 'boolean' },
            quota: {
              type: 'object',
              additionalProperties: false,
              properties: {
                cpu: { type: 'string', pattern: QUANTITY },
                memory: { type: 'string', pattern: QUANTITY },
                pods: { type: 'integer', minimum: 1, maximum: 10000 },
              },
            },
            limits: {
              type: 'object',
              additionalProperties: false,
              properties: {
                defaultCpu: { type: 'string', pattern: QUANTITY },
                defaultMemory: { type: 'string', pattern: QUANTITY },
                defaultRequestCpu: { type: 'string', pattern: QUANTITY },
                defaultRequestMemory: { type: 'string', pattern: QUANTITY },
              },
            },
          },
        },
        catalogs: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['name', 'entry'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 63 },
              entry: { type: 'string', minLength: 1, maxLength: 128 },
              version: { type: 'string', minLength: 1, maxLength: 128 },
              parameters: { type: 'object', propertyNames: { pattern: IDENTIFIER, maxLength: 64 } },
            },
          },
        },
      },
    },
  },
};

/** The shape that marks a parameter value as a reference rather than a literal. */
export function asOutputReference(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'fromOutput') return undefined;
  const ref = (value as { fromOutput: unknown }).fromOutput;
  return typeof ref === 'string' ? ref : '';
}

export function asSecretReference(value: unknown): { name: string; key: string } | undefined | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'fromSecret') return undefined;
  const ref = (value as { fromSecret: unknown }).fromSecret as Record<string, unknown> | null;
  if (
    ref &&
    typeof ref === 'object' &&
    typeof ref.name === 'string' &&
    typeof ref.key === 'string' &&
    Object.keys(ref).length === 2
  ) {
    return { name: ref.name, key: ref.key };
  }
  return null;
}
