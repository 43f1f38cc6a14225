/** Argo CD Application for the apps part of an instance: a Helm chart with inline values, or rendered manifests in the app repo. */
import type { ResolvedEnvironment, ResolvedInstance } from '../environment/types.js';
import type { JsonValue } from '../catalog/types.js';
import { ANNOTATION, manifestsDir } from '../layout/index.js';
import { instanceLabels, qualifiedName } from './labels.js';
import type { RenderOptions } from './options.js';
import { applicationProject } from './appproject.js';

export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

export function renderApplication(args: {
  env: ResolvedEnvironment;
  instance: ResolvedInstance;
  /** Rendered Helm values (Helm entries). */
  values?: JsonValue;
  /** The revision of the secret values the apps read (0: none; core environment/secret-revision.ts). */
  secretRevision?: number;
  options: RenderOptions;
}): Record<string, unknown> {
  const { env, instance, values, options } = args;
  const revision = args.secretRevision ?? 0;
  const apps = instance.entry.document.spec.apps;
  if (!apps) throw new Error(`${instance.entry.name} has no apps part`);
  const source = apps.helm
    ? {
        repoURL: apps.helm.repoURL,
        chart: apps.helm.chart,
        targetRevision: apps.helm.targetRevision,
        helm: {
          releaseName: apps.helm.releaseName ?? instance.name,
          ...(values !== undefined ? { valuesObject: values } : {}),
        },
      }
    : {
        repoURL: options.appsRepo.url,
        targetRevision: options.appsRepo.revision,
        path: manifestsDir(env.name, instance.name),
      };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: qualifiedName(env, instance),
      namespace: options.argocd.namespace,
      labels: instanceLabels(env, instance, 'apps'),
      annotations: {
        [ANNOTATION.entryDigest]: instance.entry.digest,
        ...(revision > 0 ? { [ANNOTATION.secretRevision]: String(revision) } : {}),
      },
      finalizers: [RESOURCES_FINALIZER],
    },
    spec: {
      project: applicationProject(env, options),
      source,
      destination: { server: options.argocd.destinationServer, namespace: env.namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true'],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
      },
    },
  };
}
