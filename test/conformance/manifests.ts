/** Which check applies to a rendered document; a kind no check knows is a failure, never a skip. */
import type { ValidateFunction } from 'ajv';
import { environmentSchema } from '../../src/core/index.js';
import { createAjv } from '../../src/core/schema/index.js';
import { coreKind, validateCoreObject } from './core-kinds.js';
import { knownCrd } from './crds.js';
import { problemsFromAjv, type Problem } from './problems.js';

export type Check = 'crd' | 'core' | 'envcat';

/**
 * `envcat`: envcat's own Environment request (environment.yaml), kept in Git as the record of the
 * request; it has no CRD, so it is held to envcat's published JSON schema instead.
 */
export function checkFor(apiVersion: string, kind: string): Check | undefined {
  if (knownCrd(apiVersion, kind)) return 'crd';
  if (coreKind(apiVersion, kind)) return 'core';
  if (apiVersion === 'envcat.io/v1alpha1' && kind === 'Environment') return 'envcat';
  return undefined;
}

let environmentValidator: ValidateFunction | undefined;

export function validateEnvcatObject(object: unknown): Problem[] {
  environmentValidator ??= createAjv().compile(environmentSchema);
  return environmentValidator(object) ? [] : problemsFromAjv(environmentValidator.errors);
}

/** Core kinds and envcat's own kinds: the checks that need nothing from ../shared/crds. */
export function validateWithoutCrds(
  object: Record<string, unknown>,
  where: { repo: 'platform' | 'apps' },
): Problem[] {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  switch (checkFor(apiVersion, kind)) {
    case 'core':
      // Manifests in the apps repo are applied by Argo CD into its destination namespace.
      return validateCoreObject(object, { namespaceRequired: where.repo === 'platform' });
    case 'envcat':
      return validateEnvcatObject(object);
    case 'crd':
      return [
        { path: '/kind', message: `${kind} in ${apiVersion} is a custom resource: validate it with its CRD` },
      ];
    default:
      return [
        {
          path: '/kind',
          message: `${kind} in ${apiVersion} is not a kind the conformance test knows: add its CRD or core model`,
        },
      ];
  }
}
