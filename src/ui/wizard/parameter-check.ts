/**
 * Whether an instance's parameters would pass its form, without the form on screen: the wizard
 * checks them when the user jumps past the Parameters step (a tab), as the form would on Next.
 */
import { getDefaultFormState, type RJSFSchema } from '@rjsf/utils';
import type { CatalogVersion } from '../../api/contract.js';
import { keptSecrets } from '../logic/edit.js';
import { formSchema } from '../logic/schema.js';
import type { InstanceDraft } from '../logic/wizard.js';
import { validator } from './validator.js';

export function parametersPass(instance: InstanceDraft, version: CatalogVersion): boolean {
  const schema = formSchema(version.parameters, {
    references: instance.references,
    kept: keptSecrets(instance, version),
  }) as RJSFSchema;
  const data = getDefaultFormState(validator, schema, instance.values as Record<string, unknown>, schema);
  return validator.validateFormData(data, schema).errors.length === 0;
}
