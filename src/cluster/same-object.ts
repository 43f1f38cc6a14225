/** Object comparisons the informers share (the client-node one and the in-memory twin in test/support). */
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from './types.js';

/** Equal but for metadata.resourceVersion: an update that changed nothing a cache keeps. */
export function sameButResourceVersion(
  cached: Pick<KubeObject, 'metadata'> | undefined,
  object: Pick<KubeObject, 'metadata'>,
): boolean {
  if (cached?.metadata === undefined) return false;
  const { resourceVersion: _a, ...cachedMetadata } = cached.metadata;
  const { resourceVersion: _b, ...metadata } = object.metadata;
  return isDeepStrictEqual({ ...cached, metadata: cachedMetadata }, { ...object, metadata });
}
