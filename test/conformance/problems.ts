/** What a conformance check reports: a JSON pointer into the manifest and what is wrong there. */

export interface Problem {
  /** JSON pointer from the manifest's root, e.g. `/spec/forProvider/source`. */
  path: string;
  message: string;
}

/** The subset of an ajv error object both ajv and kubernetes-models report. */
export interface AjvLikeError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerOf(...tokens: Array<string | number>): string {
  return tokens.map((t) => `/${escapeToken(String(t))}`).join('');
}

/** ajv errors as problems whose path names the offending member (also for missing and unknown ones). */
export function problemsFromAjv(errors: readonly AjvLikeError[] | null | undefined): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    let path = error.instancePath;
    let message = error.message ?? `fails "${error.keyword}"`;
    switch (error.keyword) {
      case 'required':
        path += pointerOf(String(error.params.missingProperty));
        message = 'is required';
        break;
      case 'additionalProperties':
        path += pointerOf(String(error.params.additionalProperty));
        message = 'is not a field of the schema (the API server would prune it silently)';
        break;
      case 'enum':
        message = `must be one of ${JSON.stringify(error.params.allowedValues)}`;
        break;
      default:
        break;
    }
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message });
  }
  return problems;
}

export function formatProblems(where: string, problems: readonly Problem[]): string[] {
  return problems.map((p) => `${where}#${p.path || '/'}: ${p.message}`);
}
