import type { ResolvedEnvironment, ResolvedInstance } from '../environment/types.js';
import { LABEL, MANAGED_BY } from '../layout/index.js';

/** `1.0.0+build.1` is a valid semver but `+` is not allowed in a label value. */
export function labelSafeVersion(version: string): string {
  return version.replace(/\+/g, '_');
}

export function environmentLabels(env: ResolvedEnvironment): Record<string, string> {
  return { [LABEL.managedBy]: MANAGED_BY, [LABEL.environment]: env.name };
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
