/**
 * How Argo CD marks the objects an Application deploys, and how it tells which live objects are an
 * Application's (argo-cd util/argo/resource_tracking.go; controller/state.go isSelfReferencedObj).
 * Pure.
 *
 * `application.resourceTrackingMethod` (argocd-cm) picks the method. Since Argo CD 3.0 the default
 * is `annotation` (docs/operator-manual/upgrading/2.14-3.0.md, "Use Annotation-Based Tracking by
 * Default"): `argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<namespace>/<name>`, the
 * namespace being the destination's for a cluster-scoped object. `label` writes the Application's
 * name in `app.kubernetes.io/instance` (overwriting a manifest's own value); `annotation+label`
 * writes both and identifies by the annotation.
 *
 * Not simulated: `installationID` (`argocd.argoproj.io/installation-id`), a custom
 * `application.instanceLabelKey`, and Applications outside the controller's namespace (whose
 * instance name is `<namespace>_<name>`).
 */
import type { KubeObject } from '../cluster/index.js';

/** `common.AnnotationKeyAppInstance`. */
export const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** `common.LabelKeyAppInstance`, Argo CD's default `application.instanceLabelKey`. */
export const TRACKING_LABEL = 'app.kubernetes.io/instance';

/** `v1alpha1.TrackingMethod`. */
export type TrackingMethod = 'annotation' | 'label' | 'annotation+label';
export const DEFAULT_TRACKING_METHOD: TrackingMethod = 'annotation';
export const TRACKING_METHODS: readonly TrackingMethod[] = ['annotation', 'label', 'annotation+label'];

/** `argo.AppInstanceValue`: what a tracking id says. */
export interface AppInstanceValue {
  application: string;
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

const LABEL_MAX_LENGTH = 63;

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** `BuildAppInstanceValue`. */
export function trackingId(value: AppInstanceValue): string {
  return `${value.application}:${value.group}/${value.kind}:${value.namespace}/${value.name}`;
}

/** `ParseAppInstanceValue`: undefined for anything not of the form `<app>:<group>/<kind>:<namespace>/<name>`. */
export function parseTrackingId(text: string): AppInstanceValue | undefined {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  if (second < 0) return undefined;
  const groupKind = text.slice(first + 1, second).split('/');
  const namespaceName = text.slice(second + 1).split('/');
  if (groupKind.length !== 2 || namespaceName.length !== 2) return undefined;
  return {
    application: text.slice(0, first),
    group: groupKind[0]!,
    kind: groupKind[1]!,
    namespace: namespaceName[0]!,
    name: namespaceName[1]!,
  };
}

/** `TruncateLabel`: at most 63 characters, not ending in a special character. */
function truncateLabel(value: string): string {
  let out = value.slice(0, LABEL_MAX_LENGTH);
  while (out.length > 1 && !/[a-zA-Z0-9]$/.test(out)) out = out.slice(0, -1);
  return out;
}

/**
 * `SetAppInstance`: the object as Argo CD applies it for `application`. The repo server leaves
 * CustomResourceDefinitions unmarked (reposerver/repository/repository.go, `!kube.IsCRD(target)`).
 */
export function withTracking(
  object: KubeObject,
  args: { application: string; destinationNamespace: string; method: TrackingMethod },
): KubeObject {
  if (object.kind === 'CustomResourceDefinition' && groupOf(object.apiVersion) === 'apiextensions.k8s.io')
    return object;
  const metadata = { ...object.metadata };
  if (args.method !== 'label') {
    const id = trackingId({
      application: args.application,
      group: groupOf(object.apiVersion),
      kind: object.kind,
      namespace: object.metadata.namespace || args.destinationNamespace,
      name: object.metadata.name,
    });
    metadata.annotations = { ...metadata.annotations, [TRACKING_ANNOTATION]: id };
  }
  if (args.method !== 'annotation') {
    // Label-only tracking keeps the name whole (the label is the app name it is matched on).
    const value = args.method === 'label' ? args.application : truncateLabel(args.application);
    metadata.labels = { ...metadata.labels, [TRACKING_LABEL]: value };
  }
  return { ...object, metadata };
}

/** `GetAppName`: the Application a live object says it belongs to, or undefined. */
export function trackingApplication(object: KubeObject, method: TrackingMethod): string | undefined {
  if (method === 'label') return object.metadata.labels?.[TRACKING_LABEL] || undefined;
  const id = object.metadata.annotations?.[TRACKING_ANNOTATION];
  return id === undefined ? undefined : parseTrackingId(id)?.application || undefined;
}

/**
 * Whether a live object is `application`'s: its tracking names the Application and, with the
 * annotation, the tracking id is the object's own (controller/state.go isSelfReferencedObj: a
 * tracking annotation copied onto another object does not make that object the Application's,
 * argo-cd issue 8683). Label tracking cannot tell a copied label apart.
 */
export function isTrackedBy(object: KubeObject, application: string, method: TrackingMethod): boolean {
  if (trackingApplication(object, method) !== application) return false;
  if (method === 'label') return true;
  const id = parseTrackingId(object.metadata.annotations?.[TRACKING_ANNOTATION] ?? '');
  if (!id) return false;
  const namespace = object.metadata.namespace ?? '';
  return (
    (namespace === id.namespace || namespace === '') &&
    object.metadata.name === id.name &&
    groupOf(object.apiVersion) === id.group &&
    object.kind === id.kind
  );
}
