/**
 * Server-side apply for the in-memory cluster twin, at the level envcat uses it (the simulated
 * controllers apply with `force`; the engine does not apply at all): each field manager owns the
 * leaf fields it applied last; an apply merges its fields into the live object, removes the fields
 * it applied last time and no longer does (unless another manager owns them too), and conflicts
 * with another manager's field of a different value unless forced. A non-apply write takes the
 * fields whose value it changed away from their appliers, so a re-apply does not undo it.
 *
 * Not modelled: lists are atomic (no merge keys, `metadata.finalizers` is not a set owned member
 * by member), ownership is by exact path (a manager owning `.spec.a` does not conflict with one
 * applying `.spec.a.b`), and non-apply writers own nothing (no `Update` entries, no managedFields).
 */
import type { JsonObject, JsonValue } from '../../src/core/index.js';
import { isJsonObject, jsonEqual, setOwn } from './merge-patch.js';

/** Map keys from the top of the object down to a leaf: `['spec', 'forProvider', 'module']`. */
export type FieldPath = readonly string[];

export interface FieldConflict {
  manager: string;
  path: FieldPath;
}

export interface ApplyRequest {
  /** The live object, or undefined when the apply creates it. Not modified. */
  live: JsonObject | undefined;
  applied: JsonObject;
  manager: string;
  force: boolean;
  /** Each manager's fields, as its last apply left them. */
  owners: ReadonlyMap<string, readonly FieldPath[]>;
  /** False for what an apply does not set: server-set metadata, the status of a status-subresource kind. */
  isManaged: (path: FieldPath) => boolean;
}

export type ApplyOutcome =
  | { ok: true; object: JsonObject; owners: Map<string, FieldPath[]> }
  | { ok: false; conflicts: FieldConflict[] };

const key = (path: FieldPath): string => JSON.stringify(path);

/** `.data.theirs`, as conflict messages name a field. */
export function describeField(path: FieldPath): string {
  return path.map((segment) => `.${segment}`).join('');
}

/** The leaf fields an applied configuration sets; a `null` removes a field and is owned by nobody. */
export function appliedFields(applied: JsonObject, isManaged: (path: FieldPath) => boolean): FieldPath[] {
  const paths: FieldPath[] = [];
  const walk = (node: JsonObject, prefix: FieldPath) => {
    for (const [name, value] of Object.entries(node)) {
      const path = [...prefix, name];
      if (value === null || !isManaged(path)) continue;
      if (isJsonObject(value) && Object.keys(value).length > 0) walk(value, path);
      else paths.push(path);
    }
  };
  walk(applied, []);
  return paths;
}

export function valueAt(root: JsonValue | undefined, path: FieldPath): JsonValue | undefined {
  let node = root;
  for (const name of path) {
    if (!isJsonObject(node) || !Object.hasOwn(node, name)) return undefined;
    node = node[name];
  }
  return node;
}

/** Removes the field at `path` from `root` (mutated), then the maps below the top level it left empty and nobody owns. */
function removeField(root: JsonObject, path: FieldPath, owned: (path: FieldPath) => boolean): void {
  const chain: JsonObject[] = [root];
  for (const name of path.slice(0, -1)) {
    const next = chain[chain.length - 1]![name];
    if (!isJsonObject(next)) return;
    chain.push(next);
  }
  delete chain[chain.length - 1]![path[path.length - 1]!];
  for (let depth = chain.length - 1; depth >= 2; depth -= 1) {
    if (Object.keys(chain[depth]!).length > 0 || owned(path.slice(0, depth))) return;
    delete chain[depth - 1]![path[depth - 1]!];
  }
}

/** `applied` merged into `live` (copied where changed): maps key by key, `null` removes, anything else replaces. */
function mergeApplied(
  live: JsonValue | undefined,
  applied: JsonValue,
  path: FieldPath,
  isManaged: (path: FieldPath) => boolean,
): JsonValue {
  if (!isJsonObject(applied)) return structuredClone(applied);
  const result: JsonObject = isJsonObject(live) ? { ...live } : {};
  for (const [name, value] of Object.entries(applied)) {
    const child = [...path, name];
    if (!isManaged(child)) continue;
    if (value === null) delete result[name];
    else setOwn(result, name, mergeApplied(result[name], value, child, isManaged));
  }
  return result;
}

export function applyFields(request: ApplyRequest): ApplyOutcome {
  const { live, applied, manager, isManaged } = request;
  const fields = appliedFields(applied, isManaged);
  const mine = new Set(fields.map(key));
  const others = new Map<string, FieldPath[]>();
  const conflicts: FieldConflict[] = [];
  for (const [other, paths] of request.owners) {
    if (other === manager) continue;
    const kept = paths.filter((path) => {
      if (!mine.has(key(path)) || jsonEqual(valueAt(live, path), valueAt(applied, path))) return true;
      if (!request.force) conflicts.push({ manager: other, path });
      return false;
    });
    if (kept.length > 0) others.set(other, kept);
  }
  if (conflicts.length > 0) return { ok: false, conflicts };

  const theirs = new Set([...others.values()].flat().map(key));
  const owned = (path: FieldPath) => mine.has(key(path)) || theirs.has(key(path));
  const object = structuredClone(live ?? {});
  for (const path of request.owners.get(manager) ?? []) if (!owned(path)) removeField(object, path, owned);
  const merged = mergeApplied(object, applied, [], isManaged) as JsonObject;
  const owners = new Map(others);
  if (fields.length > 0) owners.set(manager, fields);
  return { ok: true, object: merged, owners };
}

/** After a non-apply write: each manager keeps the fields whose value the write left as it was. */
export function releaseChangedFields(
  owners: ReadonlyMap<string, readonly FieldPath[]>,
  before: JsonObject,
  after: JsonObject,
): Map<string, FieldPath[]> {
  const result = new Map<string, FieldPath[]>();
  for (const [manager, paths] of owners) {
    const kept = paths.filter((path) => {
      const now = valueAt(after, path);
      return now !== undefined && jsonEqual(valueAt(before, path), now);
    });
    if (kept.length > 0) result.set(manager, kept);
  }
  return result;
}
