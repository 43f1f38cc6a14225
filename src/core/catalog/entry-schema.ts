/** The CatalogEntry document (catalogs/README.md) as JSON Schema. Further rules live in validate-entry.ts. */
import type { JsonSchema } from './types.js';

export const IDENTIFIER = '^[A-Za-z][A-Za-z0-9_]*$';
export const DNS1123 = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

const relativePath = { type: 'string', minLength: 1, maxLength: 256 };

export const catalogEntrySchema: JsonSchema = {
  $id: 'https://envcat.io/schemas/v1alpha1/catalog-entry.json',
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'envcat.io/v1alpha1' },
    kind: { const: 'CatalogEntry' },
    metadata: {
      type: 'object',
      required: ['name', 'version'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: DNS1123, maxLength: 63 },
        version: { type: 'string', maxLength: 64 },
        title: { type: 'string', maxLength: 200 },
        description: { type: 'string', maxLength: 4000 },
        owner: { type: 'string', maxLength: 200 },
        tags: {
          type: 'array',
          maxItems: 32,
          uniqueItems: true,
          items: { type: 'string', pattern: DNS1123, maxLength: 63 },
        },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      required: ['type', 'parameters'],
      additionalProperties: false,
      properties: {
        type: { enum: ['iac', 'yaml', 'hybrid'] },
        parameters: {
          type: 'object',
          required: ['type'],
          properties: {
            type: { const: 'object' },
            properties: { type: 'object', propertyNames: { pattern: IDENTIFIER, maxLength: 64 } },
          },
        },
        outputs: {
          type: 'array',
          maxItems: 64,
          items: {
            type: 'object',
            required: ['name', 'schema'],
            additionalProperties: false,
            properties: {
              name: { type: 'string', pattern: IDENTIFIER, maxLength: 64 },
              schema: { type: 'object' },
              sensitive: { type: 'boolean' },
              description: { type: 'string', maxLength: 2000 },
            },
          },
        },
        iac: {
          type: 'object',
          required: ['module'],
          additionalProperties: false,
          properties: { module: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
        apps: {
          type: 'object',
          additionalProperties: false,
          properties: {
            helm: {
              type: 'object',
              required: ['repoURL', 'chart', 'targetRevision'],
              additionalProperties: false,
              properties: {
                repoURL: { type: 'string', minLength: 1, maxLength: 1024 },
                chart: { type: 'string', minLength: 1, maxLength: 253 },
                targetRevision: { type: 'string', minLength: 1, maxLength: 128 },
                releaseName: { type: 'string', pattern: DNS1123, maxLength: 53 },
              },
            },
            values: relativePath,
            manifests: relativePath,
            clusterResources: {
              type: 'array',
              maxItems: 64,
              uniqueItems: true,
              items: {
                type: 'object',
                required: ['group', 'kind'],
                additionalProperties: false,
                properties: {
                  // '' (the core group) or a DNS subdomain; no globs: the project allows exactly these.
                  group: {
                    type: 'string',
                    maxLength: 253,
                    pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$',
                  },
                  kind: { type: 'string', maxLength: 63, pattern: '^[A-Z][A-Za-z0-9]*$' },
                },
              },
            },
          },
        },
      },
    },
  },
};
