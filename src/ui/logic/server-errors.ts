/**
 * The server reports every problem with a JSON pointer into the Environment document
 * (`/spec/catalogs/0/parameters/allocatedStorage`). This maps each one to the place in the wizard
 * that shows it: a field of the details step, an instance's name or entry, a field of an instance's
 * parameter form (as react-jsonschema-form `extraErrors`), or the general list when no field fits.
 */
import type { Problem } from '../../api/contract.js';

/** react-jsonschema-form's ErrorSchema shape: messages under `__errors` at each level. */
export interface ErrorTree {
  __errors?: string[];
  [key: string]: ErrorTree | string[] | undefined;
}

export type DetailsField = 'name' | 'namespace' | 'type' | 'description' | 'ttl';

export type WizardStep = 'details' | 'entries' | 'parameters' | 'review';

export const WIZARD_STEPS: readonly WizardStep[] = ['details', 'entries', 'parameters', 'review'];

export interface InstanceErrors {
  name: string[];
  entry: string[];
  /** About the instance as a whole (`/spec/catalogs/2`). */
  other: string[];
  parameters: ErrorTree;
}

export interface MappedErrors {
  details: Partial<Record<DetailsField, string[]>>;
  /** By position in `spec.catalogs`. */
  instances: Record<number, InstanceErrors>;
  /** About the list of instances (`/spec/catalogs`). */
  catalogs: string[];
  /** Problems no field of the wizard shows. */
  general: string[];
}

export function emptyErrors(): MappedErrors {
  return { details: {}, instances: {}, catalogs: [], general: [] };
}

/** RFC 6901 tokens of a pointer; undefined when it is not a pointer. */
export function pointerTokens(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const SPEC_DETAILS: Record<string, DetailsField> = {
  namespace: 'namespace',
  type: 'type',
  description: 'description',
  ttl: 'ttl',
};

/** Where a value's own problems go: a reference or secret reference is shown at its parameter. */
const VALUE_WRAPPERS = new Set(['fromOutput', 'fromSecret']);

/** Whether an error response names fields: an invalid (422) or conflicting (409) request with problems. */
export function isFieldError(error: { status: number; problems: readonly Problem[] }): boolean {
  return (error.status === 422 || error.status === 409) && error.problems.length > 0;
}

export function mapServerErrors(problems: readonly Problem[]): MappedErrors {
  const mapped = emptyErrors();
  for (const problem of problems) place(mapped, problem);
  return mapped;
}

function place(mapped: MappedErrors, problem: Problem): void {
  const { message } = problem;
  const tokens = pointerTokens(problem.path);
  const [root, key, ...rest] = tokens ?? [];
  if (root === 'metadata' && key === 'name' && rest.length === 0) {
    add(mapped.details, 'name', message);
    return;
  }
  const detail = root === 'spec' && key !== undefined ? SPEC_DETAILS[key] : undefined;
  if (detail && rest.length === 0) {
    add(mapped.details, detail, message);
    return;
  }
  const [indexToken, field, ...path] = rest;
  const index = Number(indexToken);
  if (root !== 'spec' || key !== 'catalogs') {
    pushOnce(mapped.general, problem.path ? `${problem.path}: ${message}` : message);
  } else if (indexToken === undefined || !/^\d+$/.test(indexToken) || !Number.isSafeInteger(index)) {
    pushOnce(mapped.catalogs, message);
  } else {
    const instance = (mapped.instances[index] ??= { name: [], entry: [], other: [], parameters: {} });
    if (field === 'name' && path.length === 0) pushOnce(instance.name, message);
    else if (field === 'entry' && path.length === 0) pushOnce(instance.entry, message);
    else if (field !== 'parameters') pushOnce(instance.other, message);
    else {
      const wrapper = path.findIndex((t) => VALUE_WRAPPERS.has(t));
      addTree(instance.parameters, wrapper === -1 ? path : path.slice(0, wrapper), message);
    }
  }
}

function add(details: MappedErrors['details'], field: DetailsField, message: string): void {
  pushOnce((details[field] ??= []), message);
}

/** The same message for the same place once (a name that is also the namespace is reported twice). */
function pushOnce(list: string[], message: string): void {
  if (!list.includes(message)) list.push(message);
}

function addTree(tree: ErrorTree, path: readonly string[], message: string): void {
  let node = tree;
  for (const token of path) {
    const child = node[token];
    if (child === undefined || Array.isArray(child)) {
      const created: ErrorTree = {};
      node[token] = created;
      node = created;
    } else {
      node = child;
    }
  }
  pushOnce((node.__errors ??= []), message);
}

/** The first wizard step that shows one of these errors, or undefined when none does. */
export function firstStepWithErrors(mapped: MappedErrors): WizardStep | undefined {
  if (Object.values(mapped.details).some((m) => m && m.length > 0)) return 'details';
  const instances = Object.values(mapped.instances);
  if (
    mapped.catalogs.length > 0 ||
    instances.some((i) => i.name.length + i.entry.length + i.other.length > 0)
  )
    return 'entries';
  if (instances.some((i) => hasErrors(i.parameters))) return 'parameters';
  return undefined;
}

export function hasErrors(tree: ErrorTree | undefined): boolean {
  if (!tree) return false;
  return Object.entries(tree).some(([key, value]) =>
    key === '__errors' ? Array.isArray(value) && value.length > 0 : !Array.isArray(value) && hasErrors(value),
  );
}

/** The tree without the branch of a top-level field, e.g. once that field's value changed. */
export function withoutField(tree: ErrorTree, field: string): ErrorTree {
  if (!(field in tree)) return tree;
  const { [field]: _removed, ...rest } = tree;
  return rest;
}
