/**
 * The objects of an informer's cache by the value of one label, as client-go's Indexer keeps an
 * index beside its store: the engine reads one environment's Workspaces and Applications per pass,
 * and filtering the whole cache for them made each pass cost as much as the number of
 * environments. Shared by the client-node informer and the in-memory twin (test/support).
 */
import type { KubeObject } from './types.js';

export class LabelIndex {
  private readonly byValue = new Map<string, Map<string, KubeObject>>();
  /** The label value each indexed object was filed under, by `<namespace>/<name>`. */
  private readonly valueOf = new Map<string, string>();

  constructor(readonly label: string) {}

  /** Files the object (added or updated) under its label's value now, out of its old one. */
  set(object: KubeObject): void {
    const key = keyOf(object);
    this.remove(key);
    const value = object.metadata.labels?.[this.label];
    if (value === undefined) return;
    this.valueOf.set(key, value);
    let objects = this.byValue.get(value);
    if (!objects) this.byValue.set(value, (objects = new Map()));
    objects.set(key, object);
  }

  delete(object: KubeObject): void {
    this.remove(keyOf(object));
  }

  /** The objects whose label has this value. */
  get(value: string): KubeObject[] {
    const objects = this.byValue.get(value);
    return objects ? [...objects.values()] : [];
  }

  private remove(key: string): void {
    const value = this.valueOf.get(key);
    if (value === undefined) return;
    this.valueOf.delete(key);
    const objects = this.byValue.get(value);
    objects?.delete(key);
    if (objects?.size === 0) this.byValue.delete(value);
  }
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}
