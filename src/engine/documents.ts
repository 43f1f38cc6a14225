/**
 * Each environment's committed request, parsed once per version of its file: every GET, every
 * list (all of them) and every create (the namespaces of all the others) reads it, and parsing the
 * YAML each time made a burst of creates quadratic. The parsed documents are shared and frozen:
 * callers that change one parse their own copy (`parseDocument`).
 */
import { canonicalize, parseYamlDocument } from '../core/index.js';
import type { EnvironmentView } from '../api/contract.js';

/** The request as committed: the view without its status. */
export type EnvironmentDocument = Omit<EnvironmentView, 'status'>;

export class EnvironmentDocuments {
  private readonly parsed = new Map<string, { source: string; document: EnvironmentDocument | undefined }>();

  /** The environment file parsed: shared and frozen, not to be changed. */
  of(name: string, source: string | undefined): EnvironmentDocument | undefined {
    if (source === undefined) {
      this.parsed.delete(name);
      return undefined;
    }
    const cached = this.parsed.get(name);
    if (cached?.source === source) return cached.document;
    const document = parseDocument(source);
    if (document) deepFreeze(document);
    this.parsed.set(name, { source, document });
    return document;
  }

  /**
   * The file `source` was written (toYaml) from `document` a moment ago, by this process: that is
   * what it parses to (test/core/properties.test.ts holds toYaml to it), so it is not parsed again.
   * (Parsing it back was the largest part of a create's own work on the event loop, ~0.6 ms.)
   */
  written(name: string, source: string, document: object): void {
    const copy = canonicalize(document) as EnvironmentDocument;
    deepFreeze(copy);
    this.parsed.set(name, { source, document: copy });
  }

  forget(name: string): void {
    this.parsed.delete(name);
  }
}

/** The request as committed (a fresh object the caller may change). */
export function parseDocument(source: string | undefined): EnvironmentDocument | undefined {
  if (source === undefined) return undefined;
  try {
    const document = parseYamlDocument(source);
    if (
      document &&
      typeof document === 'object' &&
      !Array.isArray(document) &&
      typeof document.metadata === 'object'
    )
      return document as never;
  } catch {
    // An unparseable file is reported as the environment's Invalid status; here there is nothing to show.
  }
  return undefined;
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
