/** provider-terraform Workspace, in the namespaced (tf.m.upbound.io) or cluster-scoped (tf.upbound.io) API. */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../catalog/types.js';
import { outputSecretName, parameterSecretName } from '../environment/validate.js';
import type { ResolvedEnvironment, ResolvedInstance } from '../environment/types.js';
import { ANNOTATION, SECRET_REVISION_ENV } from '../layout/index.js';
import { instanceLabels, qualifiedName } from './labels.js';
import type { RenderOptions } from './options.js';
import { TFVARS_KEY } from './secrets.js';

export const WORKSPACE_API = {
  namespaced: 'tf.m.upbound.io/v1beta1',
  cluster: 'tf.upbound.io/v1beta1',
} as const;

export function renderWorkspace(args: {
  env: ResolvedEnvironment;
  instance: ResolvedInstance;
  /** Non-secret variable values: literals with defaults, and resolved outputs. */
  variables: Record<string, JsonValue>;
  hasSecretVariables: boolean;
  options: RenderOptions;
}): Record<string, unknown> {
  const { env, instance, variables, hasSecretVariables, options } = args;
  const revision = hasSecretVariables ? instance.secretRevision : 0;
  const module = instance.entry.module;
  if (!module) throw new Error(`${instance.entry.name} has no Terraform module`);
  const namespaced = options.workspaceApi === 'namespaced';
  const tfVariables = instance.entry.terraform?.variables;

  const vars: Array<{ key: string; value: string }> = [];
  const varmap: Record<string, JsonValue> = {};
  for (const name of Object.keys(variables).sort()) {
    // A Remote module's variables are unknown here: pass every parameter and let Terraform check.
    if (tfVariables && !tfVariables.has(name)) continue;
    const value = variables[name] as JsonValue;
    if (value === null) continue;
    if (typeof value === 'object') varmap[name] = value;
    else vars.push({ key: name, value: String(value) });
  }
  const secretRef = (name: string, key: string) =>
    namespaced ? { name, key } : { name, namespace: env.namespace, key };
  const forProvider: Record<string, unknown> =
    module.source === 'Inline'
      ? { source: 'Inline', inlineFormat: 'HCL', module: module.content }
      : { source: 'Remote', module: module.address };
  if (vars.length > 0) forProvider.vars = vars;
  if (Object.keys(varmap).length > 0) forProvider.varmap = varmap;
  if (hasSecretVariables) {
    forProvider.varFiles = [
      {
        source: 'SecretKey',
        format: 'JSON',
        secretKeyRef: secretRef(parameterSecretName(env.name, instance.name), TFVARS_KEY),
      },
    ];
  }
  // New secret values (core environment/secret-revision.ts): in the spec, so that the generation
  // moves and the Ready condition tells when provider-terraform applied them. It reads the varFiles
  // Secret on every reconcile (crossplane-contrib/provider-terraform
  // internal/controller/namespaced/workspace/workspace.go, external.options), so the Secret is
  // written before this file is committed. Terraform reads only its own variables (TF_*) from its
  // environment: this one changes nothing it does.
  if (revision > 0) forProvider.env = [{ name: SECRET_REVISION_ENV, value: String(revision) }];
  const spec = {
    forProvider,
    providerConfigRef: namespaced
      ? { kind: 'ClusterProviderConfig', name: options.providerConfig }
      : { name: options.providerConfig },
    writeConnectionSecretToRef: namespaced
      ? { name: outputSecretName(env.name, instance.name) }
      : { name: outputSecretName(env.name, instance.name), namespace: env.namespace },
  };
  return {
    apiVersion: WORKSPACE_API[options.workspaceApi],
    kind: 'Workspace',
    metadata: {
      name: qualifiedName(env, instance),
      ...(namespaced ? { namespace: env.namespace } : {}),
      labels: instanceLabels(env, instance, 'infra'),
      annotations: {
        [ANNOTATION.entryDigest]: instance.entry.digest,
        [ANNOTATION.specDigest]: specDigest(spec),
      },
    },
    spec,
  };
}

/** The digest of a rendered Workspace spec (ANNOTATION.specDigest). */
export function specDigest(spec: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(spec)).digest('base64')}`;
}

const SPEC_DIGEST_LINE = /^\s+envcat\.io\/spec-digest:\s*["']?(sha256:[A-Za-z0-9+/=]+)["']?\s*$/m;

/**
 * The spec digest a Workspace file in Git carries, read from its text: the annotation comes before
 * the spec (and its Terraform module) in what envcat renders. Undefined for a file without one.
 */
export function committedSpecDigest(content: string): string | undefined {
  return SPEC_DIGEST_LINE.exec(content)?.[1];
}
