import type { ResolvedEnvironment, ResolvedInstance } from '../environment/types.js';
import { LABEL, MANAGED_BY } from '../layout/index.js';
import { parseYamlDocument } from '../yaml/index.js';

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

/**
 * The `envcat.io/entry-version` label of a step's own file as envcat rendered it (a Workspace or
 * an Application), or undefined. Only what precedes the first top-level `spec:` is parsed: envcat
 * writes metadata first, and a Workspace's spec holds a whole Terraform module.
 */
export function renderedEntryVersion(content: string): string | undefined {
  const end = content.search(/^(spec:|---)/m);
  try {
    const document = parseYamlDocument(end <= 0 ? content : content.slice(0, end)) as {
      metadata?: { labels?: Record<string, unknown> };
    } | null;
    const version = document?.metadata?.labels?.[LABEL.entryVersion];
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined; // not YAML: a file someone else put there
  }
}
