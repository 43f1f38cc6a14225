/**
 * Argo CD's resource tracking as the simulator plays it (src/simulator/resource-tracking.ts), case
 * by case against argo-cd util/argo/resource_tracking.go and controller/state.go isSelfReferencedObj.
 */
import type { KubeObject } from '../../src/cluster/types.js';
import {
  isTrackedBy,
  parseTrackingId,
  TRACKING_ANNOTATION,
  TRACKING_LABEL,
  trackingId,
  type TrackingMethod,
} from '../../src/simulator/index.js';
import { trackingApplication, withTracking } from '../../src/simulator/resource-tracking.js';

const deployment: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'app', namespace: 'dev', labels: { [TRACKING_LABEL]: 'app' } },
};
const clusterRole: KubeObject = {
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRole',
  metadata: { name: 'dev-reader' },
};
const crd: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.org' },
};
/** 62 characters, then `-web`: cut at 63, it would end in `-`. */
const longName = `${'a'.repeat(62)}-web`;

describe('tracking ids', () => {
  it.each([
    [
      'app:apps/Deployment:dev/app',
      { application: 'app', group: 'apps', kind: 'Deployment', namespace: 'dev', name: 'app' },
    ],
    ['app:/Namespace:/dev', { application: 'app', group: '', kind: 'Namespace', namespace: '', name: 'dev' }],
    // SplitN(value, ":", 3): the name part keeps any further colon
    [
      'app:/ConfigMap:dev/a:b',
      { application: 'app', group: '', kind: 'ConfigMap', namespace: 'dev', name: 'a:b' },
    ],
  ])('reads %s', (text, value) => {
    expect(parseTrackingId(text)).toEqual(value);
    expect(trackingId(value)).toBe(text);
  });

  it.each(['app', 'app:apps/Deployment', 'app:Deployment:dev/app', 'app:apps/Deployment:app'])(
    'refuses %s (ErrWrongResourceTrackingFormat)',
    (text) => {
      expect(parseTrackingId(text)).toBeUndefined();
    },
  );
});

describe('withTracking (SetAppInstance)', () => {
  it.each<[string, KubeObject, TrackingMethod, string | undefined, string | undefined]>([
    ['annotation: a namespaced object', deployment, 'annotation', 'web:apps/Deployment:dev/app', 'app'],
    [
      'annotation: a cluster-scoped object carries the destination namespace',
      clusterRole,
      'annotation',
      'web:rbac.authorization.k8s.io/ClusterRole:dest/dev-reader',
      undefined,
    ],
    ['label: overwrites the manifest’s own label', deployment, 'label', undefined, 'web'],
    ['annotation+label: both', deployment, 'annotation+label', 'web:apps/Deployment:dev/app', 'web'],
    ['a CustomResourceDefinition is left unmarked', crd, 'annotation', undefined, undefined],
  ])('%s', (_case, object, method, annotation, label) => {
    // WHEN
    const tracked = withTracking(object, { application: 'web', destinationNamespace: 'dest', method });
    // THEN
    expect(tracked.metadata.annotations?.[TRACKING_ANNOTATION]).toBe(annotation);
    expect(tracked.metadata.labels?.[TRACKING_LABEL]).toBe(label);
    expect(object.metadata.annotations).toBeUndefined(); // the input is not changed
  });

  it('truncates the label of annotation+label to 63 characters, not ending in a special one; label-only keeps the name whole', () => {
    const both = withTracking(deployment, {
      application: longName,
      destinationNamespace: '',
      method: 'annotation+label',
    });
    expect(both.metadata.labels?.[TRACKING_LABEL]).toBe('a'.repeat(62));
    expect(both.metadata.annotations?.[TRACKING_ANNOTATION]?.startsWith(`${longName}:`)).toBe(true);
    const labelOnly = withTracking(deployment, {
      application: longName,
      destinationNamespace: '',
      method: 'label',
    });
    expect(labelOnly.metadata.labels?.[TRACKING_LABEL]).toBe(longName);
  });
});

describe('whose a live object is (GetAppName, isSelfReferencedObj)', () => {
  const live = withTracking(deployment, {
    application: 'web',
    destinationNamespace: 'dev',
    method: 'annotation',
  });
  const copied: KubeObject = {
    ...live,
    metadata: { ...live.metadata, name: 'copy' }, // the annotation copied onto another Deployment
  };

  it.each<[string, KubeObject, string, TrackingMethod, boolean]>([
    ['its own tracking id', live, 'web', 'annotation', true],
    ['another Application', live, 'other', 'annotation', false],
    ['a tracking id copied from another object (argo-cd issue 8683)', copied, 'web', 'annotation', false],
    ['annotation tracking ignores the label', deployment, 'app', 'annotation', false],
    ['label tracking reads the label', deployment, 'app', 'label', true],
    [
      'label tracking cannot tell a copied label',
      { ...deployment, metadata: { ...deployment.metadata, name: 'copy' } },
      'app',
      'label',
      true,
    ],
    [
      'a cluster-scoped object matches whatever namespace its id names',
      withTracking(clusterRole, { application: 'web', destinationNamespace: 'dest', method: 'annotation' }),
      'web',
      'annotation',
      true,
    ],
  ])('%s', (_case, object, application, method, expected) => {
    expect(isTrackedBy(object, application, method)).toBe(expected);
  });

  it('names the Application from the annotation, or the label with label tracking', () => {
    expect(trackingApplication(live, 'annotation')).toBe('web');
    expect(trackingApplication(live, 'label')).toBe('app');
    expect(trackingApplication(clusterRole, 'annotation')).toBeUndefined();
  });
});
