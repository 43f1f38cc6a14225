/**
 * The new-environment wizard as a reducer: environment details, the chosen entries (instances),
 * their parameter values and output references, and the server's errors placed at their fields.
 * The Environment document (src/core/environment/types.ts) is derived from this state, never kept beside it.
 */
import { dns1123LabelProblem, parseDuration } from '../../core/browser.js';
import type {
  CatalogVersion,
  EnvironmentDocument,
  EnvironmentType,
  JsonValue,
  OutputReferenceValue,
} from '../../api/contract.js';
import type { ChosenInstance } from './references.js';
import {
  emptyErrors,
  firstStepWithErrors,
  WIZARD_STEPS,
  withoutField,
  type DetailsField,
  type InstanceErrors,
  type MappedErrors,
  type WizardStep,
} from './server-errors.js';

export { WIZARD_STEPS, type WizardStep } from './server-errors.js';

/** Helm release names are at most 53 characters, and so are instance names (README, Limits). */
export const INSTANCE_NAME_MAX = 53;

export interface DetailsDraft {
  name: string;
  namespace: string;
  /** Whether the user typed a namespace; until then it follows the name. */
  namespaceEdited: boolean;
  type: EnvironmentType;
  description: string;
  ttl: string;
}

export interface InstanceDraft {
  /** Stable key while the instance is renamed or others are removed. */
  id: number;
  name: string;
  entry: string;
  version: string;
  /** Literal parameter values (secret ones included: they are sent, never stored). */
  values: Record<string, JsonValue>;
  /** Parameters fed by another instance's output: parameter → `<instance>.<output>`. */
  references: Record<string, string>;
  /**
   * Set when editing a running environment, for an instance that runs already: its entry reference
   * as committed. Its name and version stay (an upgrade moves the version), and a secret left
   * empty keeps its value.
   */
  running?: { entry: string };
}

export interface WizardState {
  step: WizardStep;
  details: DetailsDraft;
  instances: InstanceDraft[];
  nextId: number;
  /** The server's errors; `instances` is keyed by instance id here, not by position. */
  errors: MappedErrors;
}

export type WizardAction =
  | { type: 'goto'; step: WizardStep }
  | { type: 'setDetails'; patch: Partial<Omit<DetailsDraft, 'namespaceEdited'>> }
  | { type: 'addInstance'; entry: string; version: string }
  | { type: 'removeInstance'; id: number }
  | { type: 'renameInstance'; id: number; name: string }
  | { type: 'setVersion'; id: number; version: string }
  | { type: 'setValues'; id: number; values: Record<string, JsonValue | undefined> }
  | { type: 'setReference'; id: number; parameter: string; reference: string }
  | { type: 'clearReference'; id: number; parameter: string }
  | { type: 'serverErrors'; errors: MappedErrors }
  | { type: 'clearErrors' }
  | { type: 'restore'; draft: WizardDraft };

export function initialWizardState(): WizardState {
  return {
    step: 'details',
    details: {
      name: '',
      namespace: '',
      namespaceEdited: false,
      type: 'pre-release',
      description: '',
      ttl: '',
    },
    instances: [],
    nextId: 1,
    errors: emptyErrors(),
  };
}

/** The entry's name, or with `-2`, `-3`, ... when taken, within the instance name limit. */
export function suggestInstanceName(entry: string, taken: ReadonlySet<string>): string {
  const base = entry.slice(0, INSTANCE_NAME_MAX).replace(/-+$/, '');
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const name = `${base.slice(0, INSTANCE_NAME_MAX - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(name)) return name;
  }
}

function updateInstance(
  state: WizardState,
  id: number,
  update: (instance: InstanceDraft) => InstanceDraft,
): InstanceDraft[] {
  return state.instances.map((i) => (i.id === id ? update(i) : i));
}

function withInstanceErrors(
  errors: MappedErrors,
  id: number,
  update: (e: InstanceErrors) => InstanceErrors,
): MappedErrors {
  const current = errors.instances[id];
  if (!current) return errors;
  return { ...errors, instances: { ...errors.instances, [id]: update(current) } };
}

function withoutInstanceErrors(errors: MappedErrors, id: number): MappedErrors {
  if (!(id in errors.instances)) return errors;
  const { [id]: _removed, ...rest } = errors.instances;
  return { ...errors, instances: rest };
}

function clearParameterErrors(errors: MappedErrors, id: number, fields: readonly string[]): MappedErrors {
  if (fields.length === 0) return errors;
  return withInstanceErrors(errors, id, (e) => ({
    ...e,
    parameters: fields.reduce((tree, field) => withoutField(tree, field), e.parameters),
  }));
}

/** Rewrites references to an instance that was renamed (`old.x` → `new.x`) or drops them (removed). */
function retarget(
  references: Record<string, string>,
  from: string,
  to: string | undefined,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [parameter, reference] of Object.entries(references)) {
    const dot = reference.indexOf('.');
    if (dot === -1 || reference.slice(0, dot) !== from) result[parameter] = reference;
    else if (to !== undefined) result[parameter] = `${to}${reference.slice(dot)}`;
  }
  return result;
}

export function wizardReducer(state: WizardState, action: WizardAction): WizardState {
  switch (action.type) {
    case 'goto':
      return { ...state, step: action.step };
    case 'setDetails': {
      const details = { ...state.details, ...action.patch };
      const cleared = Object.keys(action.patch) as DetailsField[];
      if (action.patch.namespace !== undefined) details.namespaceEdited = action.patch.namespace !== '';
      if (action.patch.name !== undefined && !details.namespaceEdited) {
        details.namespace = action.patch.name;
        cleared.push('namespace');
      }
      const detailErrors = { ...state.errors.details };
      for (const field of cleared) delete detailErrors[field];
      return { ...state, details, errors: { ...state.errors, details: detailErrors } };
    }
    case 'addInstance': {
      const taken = new Set(state.instances.map((i) => i.name));
      const instance: InstanceDraft = {
        id: state.nextId,
        name: suggestInstanceName(action.entry, taken),
        entry: action.entry,
        version: action.version,
        values: {},
        references: {},
      };
      return {
        ...state,
        instances: [...state.instances, instance],
        nextId: state.nextId + 1,
        errors: { ...state.errors, catalogs: [] },
      };
    }
    case 'removeInstance': {
      const removed = state.instances.find((i) => i.id === action.id);
      if (!removed) return state;
      return {
        ...state,
        instances: state.instances
          .filter((i) => i.id !== action.id)
          .map((i) => ({ ...i, references: retarget(i.references, removed.name, undefined) })),
        errors: withoutInstanceErrors(state.errors, action.id),
      };
    }
    case 'renameInstance': {
      const renamed = state.instances.find((i) => i.id === action.id);
      if (!renamed || renamed.name === action.name) return state;
      return {
        ...state,
        instances: state.instances.map((i) => ({
          ...i,
          ...(i.id === action.id ? { name: action.name } : {}),
          references: retarget(i.references, renamed.name, action.name),
        })),
        errors: withInstanceErrors(state.errors, action.id, (e) => ({ ...e, name: [] })),
      };
    }
    case 'setVersion':
      // Another version has another schema: its values start from that version's defaults.
      return {
        ...state,
        instances: updateInstance(state, action.id, (i) =>
          i.version === action.version ? i : { ...i, version: action.version, values: {}, references: {} },
        ),
        errors: withInstanceErrors(state.errors, action.id, (e) => ({ ...e, entry: [], parameters: {} })),
      };
    case 'setValues': {
      const instance = state.instances.find((i) => i.id === action.id);
      if (!instance) return state;
      const values = definedValues(action.values, instance.references);
      const changed = [...new Set([...Object.keys(values), ...Object.keys(instance.values)])].filter(
        (k) => JSON.stringify(values[k]) !== JSON.stringify(instance.values[k]),
      );
      return {
        ...state,
        instances: updateInstance(state, action.id, (i) => ({ ...i, values })),
        errors: clearParameterErrors(state.errors, action.id, changed),
      };
    }
    case 'setReference':
      return {
        ...state,
        instances: updateInstance(state, action.id, (i) => {
          const { [action.parameter]: _literal, ...values } = i.values;
          return { ...i, values, references: { ...i.references, [action.parameter]: action.reference } };
        }),
        errors: clearParameterErrors(state.errors, action.id, [action.parameter]),
      };
    case 'clearReference':
      return {
        ...state,
        instances: updateInstance(state, action.id, (i) => {
          const { [action.parameter]: _reference, ...references } = i.references;
          return { ...i, references };
        }),
        errors: clearParameterErrors(state.errors, action.id, [action.parameter]),
      };
    case 'serverErrors': {
      const byId: MappedErrors['instances'] = {};
      const general = [...action.errors.general];
      for (const [index, errors] of Object.entries(action.errors.instances)) {
        const instance = state.instances[Number(index)];
        if (instance) byId[instance.id] = errors;
        else general.push(...errors.name, ...errors.entry, ...errors.other);
      }
      const errors: MappedErrors = { ...action.errors, instances: byId, general };
      return { ...state, errors, step: firstStepWithErrors(errors) ?? state.step };
    }
    case 'clearErrors':
      return { ...state, errors: emptyErrors() };
    case 'restore':
      return { ...initialWizardState(), ...action.draft };
  }
}

/** The values without the `undefined`s a cleared input leaves, and without referenced parameters. */
function definedValues(
  values: Record<string, JsonValue | undefined>,
  references: Record<string, string>,
): Record<string, JsonValue> {
  const result: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(values))
    if (value !== undefined && references[key] === undefined) result[key] = value;
  return result;
}

export function effectiveNamespace(details: DetailsDraft): string {
  return details.namespace.trim() === '' ? details.name.trim() : details.namespace.trim();
}

/** What can be checked before asking the server: names and the ttl's syntax. */
export function detailsProblems(details: DetailsDraft): Partial<Record<DetailsField, string>> {
  const problems: Partial<Record<DetailsField, string>> = {};
  const name = details.name.trim();
  const nameProblem = name === '' ? 'is required' : dns1123LabelProblem(name);
  if (nameProblem) problems.name = nameProblem;
  if (details.namespaceEdited && details.namespace.trim() !== '') {
    const namespaceProblem = dns1123LabelProblem(details.namespace.trim());
    if (namespaceProblem) problems.namespace = namespaceProblem;
  }
  if (details.ttl.trim() !== '' && parseDuration(details.ttl.trim()) === undefined)
    problems.ttl = 'must be a duration such as 30m, 24h, 7d or 1d12h';
  return problems;
}

export interface InstanceProblems {
  /** By instance id. */
  names: Record<number, string>;
  catalogs?: string;
}

export function instanceProblems(state: Pick<WizardState, 'details' | 'instances'>): InstanceProblems {
  const names: Record<number, string> = {};
  const seen = new Map<string, number>();
  for (const i of state.instances) seen.set(i.name, (seen.get(i.name) ?? 0) + 1);
  const envName = state.details.name.trim();
  for (const i of state.instances) {
    const problem =
      dns1123LabelProblem(i.name, INSTANCE_NAME_MAX) ??
      ((seen.get(i.name) ?? 0) > 1 ? 'is used by another instance' : undefined) ??
      (envName && `${envName}-${i.name}`.length > 63
        ? `"${envName}-${i.name}" must be at most 63 characters; choose a shorter name`
        : undefined);
    if (problem) names[i.id] = problem;
  }
  return state.instances.length === 0 ? { names, catalogs: 'choose at least one entry' } : { names };
}

export function buildDocument(state: Pick<WizardState, 'details' | 'instances'>): EnvironmentDocument {
  const { details } = state;
  const description = details.description.trim();
  const ttl = details.ttl.trim();
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: details.name.trim() },
    spec: {
      namespace: effectiveNamespace(details),
      type: details.type,
      ...(description ? { description } : {}),
      ...(ttl ? { ttl } : {}),
      catalogs: state.instances.map((i) => {
        const parameters: Record<string, JsonValue> = { ...i.values };
        for (const [parameter, reference] of Object.entries(i.references))
          parameters[parameter] = { fromOutput: reference } satisfies OutputReferenceValue;
        return {
          name: i.name,
          // A running instance keeps its committed reference; the server keeps its pinned version.
          entry: i.running ? i.running.entry : `${i.entry}@${i.version}`,
          ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
        };
      }),
    },
  };
}

/** The instances as the reference picker sees them, with the type and outputs of their chosen version. */
export function chosenInstances(
  instances: readonly InstanceDraft[],
  versionOf: (entry: string, version: string) => CatalogVersion | undefined,
): ChosenInstance[] {
  return instances.flatMap((i) => {
    const version = versionOf(i.entry, i.version);
    return version
      ? [{ name: i.name, type: version.type, outputs: version.outputs, references: i.references }]
      : [];
  });
}

/** What the wizard keeps in sessionStorage so a reload keeps the user's input: never a secret value. */
export interface WizardDraft {
  step: WizardStep;
  details: DetailsDraft;
  instances: InstanceDraft[];
  nextId: number;
}

/** Whether the user has entered anything that leaving the wizard would lose. */
export function hasInput(state: Pick<WizardState, 'details' | 'instances'>): boolean {
  const { details } = state;
  return (
    state.instances.length > 0 ||
    [details.name, details.namespace, details.description, details.ttl].some((v) => v.trim() !== '')
  );
}

/**
 * The state as a draft without secret values. `secretParameters` gives an instance's secret
 * parameters, or undefined while its schema is not known: then none of its values are kept.
 */
export function draftOf(
  state: WizardState,
  secretParameters: (instance: InstanceDraft) => readonly string[] | undefined,
): WizardDraft {
  return {
    step: state.step,
    details: state.details,
    nextId: state.nextId,
    instances: state.instances.map((instance) => {
      const secrets = secretParameters(instance);
      const values: Record<string, JsonValue> = {};
      if (secrets)
        for (const [key, value] of Object.entries(instance.values))
          if (!secrets.includes(key)) values[key] = value;
      return { ...instance, values };
    }),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';

/** A draft read back from storage, or undefined when it is not one (another version, edited, …). */
export function parseDraft(text: string | null): WizardDraft | undefined {
  if (!text) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(raw) || !isObject(raw.details) || !Array.isArray(raw.instances)) return undefined;
  const d = raw.details;
  if (![d.name, d.namespace, d.description, d.ttl].every(isString)) return undefined;
  if (typeof d.namespaceEdited !== 'boolean' || (d.type !== 'release' && d.type !== 'pre-release'))
    return undefined;
  const instances = raw.instances.filter(
    (i): i is InstanceDraft =>
      isObject(i) &&
      typeof i.id === 'number' &&
      [i.name, i.entry, i.version].every(isString) &&
      isObject(i.values) &&
      isObject(i.references) &&
      Object.values(i.references).every(isString),
  );
  if (instances.length !== raw.instances.length) return undefined;
  const step = WIZARD_STEPS.find((s) => s === raw.step) ?? 'details';
  const nextId = typeof raw.nextId === 'number' ? raw.nextId : 1;
  return {
    step,
    details: d as unknown as DetailsDraft,
    instances,
    nextId: Math.max(nextId, ...instances.map((i) => i.id + 1)),
  };
}
