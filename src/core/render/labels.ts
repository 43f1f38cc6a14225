import type { ResolvedEnvironment, ResolvedInstance } from '../environment/types.js';

export const LABEL = {
  environment: 'envcat.io/environment',
  instance: 'envcat.io/instance',
  entry: 'envcat.io/entry',
  entryVersion: 'envcat.io/entry-version',
  part: 'envcat.io/part',
  type: 'envcat.io/type',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const ANNOTATION = {
  entryDigest: 'envcat.io/entry-digest',
  ttl: 'envcat.io/ttl',
  owner: 'envcat.io/owner',
  description: 'envcat.io/description',
} as const;

/** `1.0.0+build.1` is a valid semver but `+` is not allowed in a label value. */
export function labelSafeVersion(version: string): string {
  return version.replace(/\+/g, '_');
}

export function environmentLabels(env: ResolvedEnvironment): Record<string, string> {
  return { [LABEL.managedBy]: 'envcat', [LABEL.environment]: env.name };
}

export function instanceLabels(
  env: ResolvedEnvironment,
  instance: ResolvedInstance,
  part: 'infra' | 'apps',
): Record<string, string> {
  return {
    ...environmentLabels(env),
    [LABEL.instance]: instance.name,
    [LABEL.entry]: instance.entry.name,
    [LABEL.entryVersion]: labelSafeVersion(instance.entry.version),
    [LABEL.part]: part,
  };
}

export function qualifiedName(env: ResolvedEnvironment, instance: ResolvedInstance): string {
  return `${env.name}-${instance.name}`;
}
