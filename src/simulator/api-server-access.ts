/**
 * Synchronous in-process access to the simulated API server's objects (SimulatedApiServer.objects),
 * for tests, seeding and inspection: the store's operations with the cluster port's refs and errors.
 */
import { InputError } from '../core/errors/index.js';
import {
  type KindRegistry,
  type KubeObject,
  type ListOptions,
  type ObjectRef,
  type TypeRef,
  errorFromStatus,
  parseApiVersion,
  parseLabelSelector,
} from '../cluster/index.js';
import { ApiStatusError, StatusErrors } from './api-server-status.js';
import type { ChangeType, ObjectTarget, Target } from './api-server-objects.js';
import type { ObjectStore } from './api-server-store.js';

/** Synchronous in-process access to the simulator's objects, for tests, seeding and inspection. */
export interface ObjectAccess {
  get(ref: ObjectRef): KubeObject | undefined;
  list(type: TypeRef, options?: ListOptions): KubeObject[];
  create(object: KubeObject): KubeObject;
  replace(object: KubeObject): KubeObject;
  /** False when there was nothing to delete. */
  delete(ref: ObjectRef): boolean;
  /** The current (latest) resourceVersion. */
  readonly resourceVersion: string;
  readonly watchCount: number;
  readonly objectCount: number;
  /** Ends every open watch, as an API server restart would; clients resume from their resourceVersion. */
  closeWatches(): void;
  /**
   * Calls `listener` synchronously as each change of this type is stored, from now on (the
   * moment watchers are sent it); returns a function that stops it. closeWatches ends it too.
   */
  watch(type: TypeRef, listener: (type: ChangeType, object: KubeObject) => void): () => void;
}

export function objectAccess(store: ObjectStore, kinds: KindRegistry): ObjectAccess {
  const typeTarget = (type: TypeRef, namespace?: string): Target => {
    const spec = kinds.lookupKind(type.apiVersion, type.kind);
    if (!spec) throw errorFromStatus(StatusErrors.noRoute().status, { ref: type });
    return {
      spec,
      version: parseApiVersion(type.apiVersion).version,
      ...(spec.namespaced && namespace !== undefined ? { namespace } : {}),
    };
  };
  const objectTarget = (ref: ObjectRef): ObjectTarget => {
    const target = typeTarget(ref, ref.namespace);
    if (target.spec.namespaced && target.namespace === undefined)
      throw new InputError([
        { path: '/metadata/namespace', message: `${ref.kind} is namespaced: a namespace is required` },
      ]);
    return { ...target, name: ref.name };
  };
  const typed = <T>(ref: TypeRef, run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (error instanceof ApiStatusError) throw errorFromStatus(error.status, { ref });
      throw error;
    }
  };
  return {
    get: (ref) =>
      typed(ref, () => {
        try {
          return structuredClone(store.get(objectTarget(ref)));
        } catch (error) {
          if (error instanceof ApiStatusError && error.status.code === 404) return undefined;
          throw error;
        }
      }),
    list: (type, options = {}) =>
      typed(type, () =>
        structuredClone(
          store.list(typeTarget(type, options.namespace), {
            labelSelector: parseLabelSelector(options.labelSelector ?? ''),
          }).items,
        ),
      ),
    create: (object) =>
      typed(object, () =>
        structuredClone(store.create(typeTarget(object, object.metadata.namespace), structuredClone(object))),
      ),
    replace: (object) =>
      typed(object, () =>
        structuredClone(
          store.replace(
            objectTarget({
              ...object,
              name: object.metadata.name,
              ...(object.metadata.namespace !== undefined ? { namespace: object.metadata.namespace } : {}),
            }),
            structuredClone(object),
          ),
        ),
      ),
    delete: (ref) =>
      typed(ref, () => {
        try {
          store.delete(objectTarget(ref));
          return true;
        } catch (error) {
          if (error instanceof ApiStatusError && error.status.code === 404) return false;
          throw error;
        }
      }),
    get resourceVersion() {
      return store.resourceVersion;
    },
    get watchCount() {
      return store.watchCount;
    },
    get objectCount() {
      return store.objectCount;
    },
    closeWatches: () => store.closeWatches(),
    watch: (type, listener) =>
      typed(type, () => {
        const handle = store.watch(
          { ...typeTarget(type), resourceVersion: store.resourceVersion },
          { event: (change, object) => listener(change, structuredClone(object)), close: () => undefined },
        );
        return () => handle.close();
      }),
  };
}
