/**
 * The `dryRun` query parameter, as the Kubernetes API takes it: `All` (kube-apiserver's only value:
 * kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go,
 * `allowedDryRunValues = sets.NewString(metav1.DryRunAll)`, anything else refused) or `true`
 * (what kubectl users and this API's clients write) ask for a dry run; absent or `false` is a real
 * request. Anything else (`1`, `yes`, `TRUE`, repeated) is refused rather than guessed: a guess
 * the wrong way creates for real.
 */
import { ApiQuery } from '@nestjs/swagger';

export const DRY_RUN_VALUES = ['true', 'All'] as const;

export type DryRunFlag = { ok: true; dryRun: boolean } | { ok: false; message: string };

export function dryRunFlag(value: unknown): DryRunFlag {
  if (value === undefined || value === 'false') return { ok: true, dryRun: false };
  if (value === 'true' || value === 'All') return { ok: true, dryRun: true };
  return {
    ok: false,
    message:
      'query parameter dryRun must be "true" or "All" for a dry run, "false" or left out for a real request',
  };
}

/** The OpenAPI description of a route's `dryRun` query parameter: what a dry run of it answers. */
export function ApiDryRunQuery(answers: string): MethodDecorator {
  return ApiQuery({
    name: 'dryRun',
    required: false,
    enum: ['true', 'All', 'false'],
    description: `\`true\` or \`All\`: ${answers}; absent or \`false\`: the real request. Any other value is a 400.`,
  });
}
