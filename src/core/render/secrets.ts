/**
 * Secrets never go to Git. The renderer says which Secrets an instance needs and where each value
 * comes from; the engine creates them through the Kubernetes API.
 */
import type { JsonValue } from '../catalog/types.js';
import { outputSecretName, parameterSecretName } from '../environment/validate.js';
import type { ResolvedEnvironment, ResolvedInstance, SecretSource } from '../environment/types.js';
import type { TemplateValue } from '../template/index.js';

export const TFVARS_KEY = 'terraform.tfvars.json';

/** One Secret the engine must create before committing the step that needs it. */
export interface SecretPlan {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** Keys holding one value each (secret parameters used by templates). */
  keys: Array<{ key: string; source: SecretSource }>;
  /** Terraform variables collected into one JSON tfvars key (secret parameters of an infra part). */
  tfvars: Array<{ variable: string; source: SecretSource }>;
  /**
   * The revision of the instance's secret values the steps are rendered at (0 or absent: never
   * changed by an update): the Secret must hold it before they are committed.
   */
  revision?: number;
}

/** Where an app template finds a secret parameter: envcat's Secret, the user's, or the producer's connection Secret. */
export function secretLocation(
  env: ResolvedEnvironment,
  instance: ResolvedInstance,
  param: string,
): TemplateValue | undefined {
  const source = instance.secrets[param];
  if (!source) return undefined;
  switch (source.kind) {
    case 'literal': {
      const key = instance.entry.secretParameters.find((s) => s.name === param)?.key ?? param;
      return { kind: 'secret', secretName: parameterSecretName(env.name, instance.name), secretKey: key };
    }
    case 'secretRef':
      return { kind: 'secret', secretName: source.name, secretKey: source.key };
    case 'output':
      return {
        kind: 'secret',
        secretName: outputSecretName(env.name, source.reference.from),
        secretKey: source.reference.output,
      };
  }
}

/**
 * The instance's parameter Secret. Both steps of a hybrid get the same plan (secret Terraform
 * variables as tfvars, literal secrets as keys), so whichever step creates it, it is complete.
 */
export function planSecret(
  env: ResolvedEnvironment,
  instance: ResolvedInstance,
  labels: Record<string, string>,
): SecretPlan | undefined {
  const keys: SecretPlan['keys'] = [];
  const tfvars: SecretPlan['tfvars'] = [];
  const hasApps = instance.entry.document.spec.type !== 'iac';
  for (const secret of instance.entry.secretParameters) {
    const source = instance.secrets[secret.name];
    if (!source) continue;
    if (instance.entry.terraform?.variables.has(secret.name)) tfvars.push({ variable: secret.name, source });
    // The apps read the key straight from the Secret: a literal (the API's request) is written
    // there; a reference to that very key (the request as Git holds it) is only checked for.
    const own = parameterSecretName(env.name, instance.name);
    const readInPlace = source.kind === 'secretRef' && source.name === own && source.key === secret.key;
    if (hasApps && (source.kind === 'literal' || readInPlace)) keys.push({ key: secret.key, source });
  }
  if (keys.length === 0 && tfvars.length === 0) return undefined;
  return {
    namespace: env.namespace,
    name: parameterSecretName(env.name, instance.name),
    labels,
    keys,
    tfvars,
    ...(instance.secretRevision > 0 ? { revision: instance.secretRevision } : {}),
  };
}

/** The data of a planned Secret, given a way to read the values it refers to (only the engine has them). */
export function secretData(plan: SecretPlan, read: (source: SecretSource) => string): Record<string, string> {
  const data: Record<string, string> = {};
  for (const { key, source } of plan.keys) data[key] = read(source);
  if (plan.tfvars.length > 0) {
    const vars: Record<string, JsonValue> = {};
    for (const { variable, source } of plan.tfvars) vars[variable] = read(source);
    data[TFVARS_KEY] = JSON.stringify(vars, Object.keys(vars).sort());
  }
  return data;
}
