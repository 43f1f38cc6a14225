/**
 * The body of `PATCH /api/v1/environments/{name}`: a JSON merge patch (RFC 7396, as
 * `kubectl patch --type merge` sends) limited to the ttl. `{"spec": {"ttl": "48h"}}` sets it (it
 * still counts from creation), `{"spec": {"ttl": null}}` removes it; `metadata.resourceVersion`
 * (from a GET) makes a stale read a 409. Any other field is a problem at its pointer.
 */
import type { Problem } from '../errors/index.js';
import { isRecord } from '../json/index.js';
import { escapePointerToken as escape } from '../names/index.js';

export interface TtlPatch {
  /** The new `spec.ttl`; null removes it (the environment no longer expires). */
  ttl: string | null;
  resourceVersion?: string;
}

export function parseTtlPatch(body: unknown): TtlPatch | { problems: Problem[] } {
  if (!isRecord(body))
    return { problems: [{ path: '', message: 'must be a merge patch such as {"spec": {"ttl": "48h"}}' }] };
  const problems: Problem[] = [];
  const notPatchable = (path: string) =>
    problems.push({ path, message: 'cannot be patched: only /spec/ttl (use PUT for the whole request)' });
  let resourceVersion: string | undefined;
  for (const [key, value] of Object.entries(body)) {
    if (key === 'spec') continue;
    if (key !== 'metadata') notPatchable(`/${escape(key)}`);
    else if (!isRecord(value)) problems.push({ path: '/metadata', message: 'must be an object' });
    else
      for (const [field, v] of Object.entries(value)) {
        if (field !== 'resourceVersion') notPatchable(`/metadata/${escape(field)}`);
        else if (typeof v !== 'string')
          problems.push({ path: '/metadata/resourceVersion', message: 'must be a string' });
        else resourceVersion = v;
      }
  }
  let ttl: string | null | undefined;
  if (!isRecord(body.spec)) problems.push({ path: '/spec', message: 'must be an object holding ttl' });
  else {
    for (const field of Object.keys(body.spec)) if (field !== 'ttl') notPatchable(`/spec/${escape(field)}`);
    const value = body.spec.ttl;
    if (value === undefined) problems.push({ path: '/spec/ttl', message: 'is required' });
    else if (value !== null && typeof value !== 'string')
      problems.push({ path: '/spec/ttl', message: 'must be a duration such as 48h, or null to remove it' });
    else ttl = value;
  }
  if (problems.length > 0 || ttl === undefined) return { problems };
  return { ttl, ...(resourceVersion === undefined ? {} : { resourceVersion }) };
}
