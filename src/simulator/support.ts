/** Small helpers the simulated controllers share. */
import type { ObjectRef } from '../cluster/index.js';
import { isRecord, jsonEqual } from '../core/index.js';

/** RFC 3339 at second precision, as metav1.Time serialises. */
export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function parseTimestamp(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A queue key for an object: `apiVersion|kind|namespace|name`. */
export function keyOf(ref: ObjectRef): string {
  return [ref.apiVersion, ref.kind, ref.namespace ?? '', ref.name].join('|');
}

export function refFromKey(key: string): ObjectRef {
  const [apiVersion = '', kind = '', namespace = '', name = ''] = key.split('|');
  return { apiVersion, kind, name, ...(namespace ? { namespace } : {}) };
}

/**
 * The RFC 7386 merge patch that turns `before` into `after` (what jsonpatch.CreateMergePatch gives
 * Argo CD): changed keys with their new value, removed keys as `null`, arrays whole; undefined
 * when nothing differs.
 */
export function mergePatchBetween(before: unknown, after: unknown): unknown {
  if (jsonEqual(before, after)) return undefined;
  if (!isRecord(before) || !isRecord(after)) return after === undefined ? null : after;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(before))
    if (before[key] !== undefined && after[key] === undefined) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const change = mergePatchBetween(before[key], value);
    if (change !== undefined) patch[key] = change;
  }
  return patch;
}
