/**
 * Changing the secret values of a running instance. Git never holds a secret value, so a change of
 * one alone would leave every file in Git as it was: nothing would apply it, and nothing could tell
 * when it is applied. Instead each change is counted: environment.yaml carries the instance's
 * revision (`secret-revision.envcat.io/<instance>: "<n>"`), the instance's `-params` Secret the
 * revision of the values it holds (`envcat.io/secret-revision`), and each step that reads the Secret
 * renders the revision into its file (render/workspace.ts, render/application.ts). The file changes
 * with it, so Argo CD applies it, provider-terraform plans again (it reads the Secret then), and the
 * engine's spec-digest check holds the apps that read the Workspace until it is Ready at it. The
 * engine commits a step at a revision only once the Secret holds that revision. A counter, never a
 * digest of the values: a digest of a short password is reversed by trying them all. Pure.
 */
import type { JsonValue } from '../catalog/types.js';
import { isRecord } from '../json/index.js';
import { SECRET_REVISION_PREFIX } from '../layout/index.js';
import type { ResolvedEnvironment } from './types.js';

const REVISION = /^[1-9][0-9]{0,8}$/;

/** The annotation of environment.yaml that holds an instance's revision. */
export function secretRevisionKey(instance: string): string {
  return `${SECRET_REVISION_PREFIX}${instance}`;
}

/** A revision as an annotation holds it: 0 when there is none, undefined when it is not a positive whole number. */
export function parseSecretRevision(value: unknown): number | undefined {
  if (value === undefined) return 0;
  return typeof value === 'string' && REVISION.test(value) ? Number(value) : undefined;
}

export const SECRET_REVISION_PROBLEM =
  "must be a positive whole number: the revision of the instance's secret values, which envcat counts (leave it as envcat wrote it)";

/**
 * The annotations of an updated request: the secret revisions are envcat's, whatever the client
 * sent. Those of the instances the update keeps are carried over from the running request; the
 * others are dropped. Undefined when no annotation is left.
 */
export function carrySecretRevisions(args: {
  /** The annotations as the client sent them. */
  annotations: unknown;
  /** The annotations of the running request. */
  current: unknown;
  /** The instances of the running request that the update keeps. */
  kept: ReadonlySet<string>;
}): Record<string, JsonValue> | undefined {
  const result: Record<string, JsonValue> = {};
  if (isRecord(args.annotations))
    for (const [key, value] of Object.entries(args.annotations))
      if (!key.startsWith(SECRET_REVISION_PREFIX)) result[key] = value as JsonValue;
  if (isRecord(args.current))
    for (const [key, value] of Object.entries(args.current))
      if (key.startsWith(SECRET_REVISION_PREFIX) && args.kept.has(key.slice(SECRET_REVISION_PREFIX.length)))
        result[key] = value as JsonValue;
  return Object.keys(result).length > 0 ? result : undefined;
}

/** What a running instance's `-params` Secret holds now: the revision of its values, and the values by key. */
export interface StoredSecretValues {
  revision: number;
  values: Readonly<Record<string, string>>;
}

/** New secret values an update gives a running instance (names only: this is shown and logged). */
export interface SecretValueChange {
  instance: string;
  /** Position in spec.catalogs. */
  index: number;
  /** The secret parameters written, by name. */
  parameters: string[];
  /**
   * The revision the Secret is written at, which environment.yaml names; 0 for the Secret of an
   * instance a cut-off update added, which never got it: it is written as a create writes it.
   */
  revision: number;
  /**
   * Git holds this already, committed by an update that was cut off before it wrote the Secret:
   * this one writes it (the same request again completes it).
   */
  completes: boolean;
}

/**
 * The secret values an update changes: for each running instance it gives a literal secret value,
 * compared with what its Secret holds. A value equal to the stored one changes nothing. A
 * revision committed but never written (the Secret holds an older one) is completed, not counted
 * again; so is the Secret of an instance that a cut-off update added (Git already refers to it
 * for these parameters, and there is none); otherwise the count goes one up, above both the
 * committed and the stored revision.
 */
export function secretValueChanges(args: {
  env: ResolvedEnvironment;
  /** Instances the update adds: their Secrets are written as a create writes them. */
  added: readonly string[];
  /** The instance's `-params` Secret as it is now; undefined when there is none. */
  stored: (instance: string) => StoredSecretValues | undefined;
  /** The secret parameters the committed request refers to the instance's own Secret for. */
  referenced: (instance: string) => ReadonlySet<string>;
}): SecretValueChange[] {
  const changes: SecretValueChange[] = [];
  for (const instance of args.env.instances) {
    if (args.added.includes(instance.name)) continue;
    const literals = instance.entry.secretParameters.flatMap((secret) => {
      const source = instance.secrets[secret.name];
      return source?.kind === 'literal' ? [{ name: secret.name, key: secret.key, value: source.value }] : [];
    });
    if (literals.length === 0) continue;
    const stored = args.stored(instance.name);
    const names = literals.map((l) => l.name);
    const referenced = args.referenced(instance.name);
    if (!stored && instance.secretRevision === 0 && names.every((n) => referenced.has(n))) {
      changes.push({
        instance: instance.name,
        index: instance.index,
        parameters: names,
        revision: 0,
        completes: true,
      });
      continue;
    }
    const storedRevision = stored?.revision ?? 0;
    const differing = literals.filter((l) => stored?.values[l.key] !== l.value).map((l) => l.name);
    const completes = storedRevision < instance.secretRevision;
    if (!completes && differing.length === 0) continue;
    changes.push({
      instance: instance.name,
      index: instance.index,
      parameters: differing.length > 0 ? differing : names,
      revision: completes ? instance.secretRevision : Math.max(instance.secretRevision, storedRevision) + 1,
      completes,
    });
  }
  return changes;
}

/**
 * The environment with the changes' revisions: on its instances and in its document
 * (environment.yaml). Besides an update's changes, the revision of an instance it adds whose old
 * Secret is still there (secret-values.ts): its steps wait until the Secret holds the new values.
 */
export function withSecretRevisions<Change extends Pick<SecretValueChange, 'instance' | 'revision'>>(
  env: ResolvedEnvironment,
  changes: readonly Change[],
): ResolvedEnvironment {
  const revisions = new Map(changes.filter((c) => c.revision > 0).map((c) => [c.instance, c.revision]));
  if (revisions.size === 0) return env;
  const document = structuredClone(env.document);
  const annotations = { ...document.metadata.annotations };
  for (const [instance, revision] of revisions) annotations[secretRevisionKey(instance)] = String(revision);
  document.metadata.annotations = annotations;
  return {
    ...env,
    annotations: { ...env.annotations, ...annotations },
    instances: env.instances.map((i) =>
      revisions.has(i.name) ? { ...i, secretRevision: revisions.get(i.name)! } : i,
    ),
    document,
  };
}

/** The changes for a commit message or a log line: `db (masterPassword), app (apiKey, token)`. */
export function describeSecretChanges(changes: readonly SecretValueChange[]): string {
  return changes.map((c) => `${c.instance} (${c.parameters.join(', ')})`).join(', ');
}
