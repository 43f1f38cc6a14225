/**
 * Request parsing for the simulated API server: the route a path resolves to, query parameters
 * (booleans, selectors), bodies (size-limited, JSON or YAML, with errors that never quote the
 * input), the verb and resource a request counts under, and the JSON response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../core/errors/index.js';
import {
  type FieldSelector,
  type LabelSelector,
  parseFieldSelector,
  parseLabelSelector,
} from '../cluster/index.js';
import { StatusErrors } from './api-server-status.js';
import type { Target } from './api-server-objects.js';
import type { PatchType } from './api-server-store.js';

export const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  // Treated as a JSON merge patch: the simulator knows no patch strategies or merge keys, so lists
  // are replaced rather than merged by key and `$patch` directives are not interpreted.
  'application/strategic-merge-patch+json': 'strategic',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+json': 'apply',
};

export function parseBool(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw StatusErrors.badRequest(`invalid boolean value "${value}"`);
}

export function selectors(query: URLSearchParams): {
  labelSelector: LabelSelector;
  fieldSelector: FieldSelector;
} {
  try {
    return {
      labelSelector: parseLabelSelector(query.get('labelSelector') ?? ''),
      fieldSelector: parseFieldSelector(query.get('fieldSelector') ?? ''),
    };
  } catch (error) {
    if (error instanceof InputError)
      throw StatusErrors.badRequest(error.problems[0]?.message ?? error.message);
    throw error;
  }
}

/** What a resource path addresses. */
export interface Route {
  target: Target;
  name?: string;
  subresource?: 'status';
  watch: boolean;
  /** A namespaced kind addressed without a namespace (lists and watches across all namespaces). */
  allNamespaces: boolean;
}

export function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The body, failing with 413 past `maxBodyBytes`. */
export function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        failed = true;
        reject(StatusErrors.tooLarge(maxBodyBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
    });
  });
}

/** A POST or PUT body: JSON or YAML by its content type. */
export async function readObject(req: IncomingMessage, maxBodyBytes: number): Promise<unknown> {
  const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  const format =
    contentType === 'application/yaml' ? 'yaml' : contentType === 'application/json' ? 'json' : undefined;
  if (!format) throw StatusErrors.unsupportedMediaType(contentType, ['application/json', 'application/yaml']);
  return parseDocument(await readBody(req, maxBodyBytes), format);
}

/** kube-apiserver's name for what a request does (as in its audit log and request metrics). */
export function verbOf(method: string, route: Route): string {
  if (route.name === undefined) {
    if (method === 'GET') return route.watch ? 'watch' : 'list';
    if (method === 'POST') return 'create';
    if (method === 'DELETE') return 'deletecollection';
  } else {
    if (method === 'GET') return 'get'; // this server answers a watch of one name with the object
    if (method === 'PUT') return 'update';
    if (method === 'PATCH') return 'patch';
    if (method === 'DELETE') return 'delete';
  }
  return method.toLowerCase();
}

export function resourceOf(route: Route): string {
  const { spec } = route.target;
  const resource = spec.group === '' ? spec.plural : `${spec.group}/${spec.plural}`;
  return route.subresource ? `${resource}/${route.subresource}` : resource;
}

export function parseDocument(text: string, format: 'json' | 'yaml'): unknown {
  try {
    if (format === 'json') return JSON.parse(text) as unknown;
    // Clients send apply patches as JSON (client-go and @kubernetes/client-node do), which is YAML
    // too: JSON.parse reads it several times faster than the YAML parser. Unlike it, JSON.parse lets
    // the last of two equal keys win instead of refusing the body.
    const json = jsonOrUndefined(text);
    if (json !== undefined) return json;
    return parseYaml(text) as unknown;
  } catch (error) {
    // only where parsing failed: the messages of JSON.parse quote the input, which may hold secret values
    const text = error instanceof Error ? error.message : '';
    const position = /position (\d+)/.exec(text)?.[1];
    const line = /line (\d+), column (\d+)/.exec(text);
    const detail = position
      ? `at position ${position}`
      : line
        ? `at line ${line[1]}, column ${line[2]}`
        : 'malformed';
    throw StatusErrors.badRequest(`the request body is not valid ${format.toUpperCase()}: ${detail}`);
  }
}

/** `text` as JSON when it is a JSON object, else undefined (the YAML parser decides, and words its errors). */
function jsonOrUndefined(text: string): unknown {
  if (!text.trimStart().startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
