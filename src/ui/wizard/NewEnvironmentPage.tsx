/**
 * The new-environment wizard, as Backstage's template wizard does it: details, entries, one form
 * per entry generated from its schema, and a review of the plan and the files before anything is
 * committed. The server's errors take the user back to the field they name.
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { EnvironmentView, Problem } from '../../api/contract.js';
import { isSecretSchema } from '../../core/browser.js';
import type { ApiError } from '../api/client.js';
import {
  asApiError,
  navigate,
  useDocumentTitle,
  useFocusOnChange,
  useLeaveGuard,
  useLoad,
  type LeaveGuard,
} from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { ErrorAlert } from '../components/common.js';
import { editStateFrom, updateDocument } from '../logic/edit.js';
import { href, type Route } from '../logic/router.js';
import { referenceProblem, type ChosenInstance } from '../logic/references.js';
import { parameterSchemas } from '../logic/schema.js';
import { hasErrors, isFieldError, mapServerErrors, type DetailsField } from '../logic/server-errors.js';
import {
  buildDocument,
  chosenInstances,
  detailsProblems,
  draftOf,
  effectiveNamespace,
  hasInput,
  initialWizardState,
  instanceProblems,
  parseDraft,
  WIZARD_STEPS,
  wizardReducer,
  type InstanceDraft,
  type WizardState,
  type WizardStep,
} from '../logic/wizard.js';
import { AddedToast, type Announcement } from './AddedToast.js';
import { useAvailability } from './availability.js';
import { useCatalogDetails, type CatalogDetails } from './catalog-details.js';
import { DetailsStep } from './DetailsStep.js';
import { EntriesStep } from './EntriesStep.js';
import type { ParameterFormHandle } from './ParameterForm.js';
import { parametersPass } from './parameter-check.js';
import { ParametersStep } from './ParametersStep.js';
import { ReviewStep } from './ReviewStep.js';

const STEP_LABEL: Record<WizardStep, string> = {
  details: 'Details',
  entries: 'Entries',
  parameters: 'Parameters',
  review: 'Review',
};

const DRAFT_KEY = 'envcat.wizard.draft';
const LEAVE_MESSAGE = 'Leave the new environment? What you entered is not saved.';

/** Editing a running environment: the wizard starts from its request as read. */
export interface EditTarget {
  view: EnvironmentView;
  /** Someone changed it since it was read (409): reading it again starts over from theirs. */
  onReload: () => void;
}

export function NewEnvironmentPage(props: {
  preselected: readonly string[];
  step?: WizardStep;
  edit?: EditTarget;
}) {
  const { edit } = props;
  const title = edit ? `Edit ${edit.view.metadata.name}` : 'New environment';
  useDocumentTitle(title);
  const { client, signOut } = useSession();
  const [state, dispatch] = useReducer(wizardReducer, undefined, () => initialState(props));
  const catalogs = useLoad('catalogs', (signal) => client.listCatalogs({ signal }));
  const details = useCatalogDetails(state.instances.map((i) => i.entry));
  const chosen = useMemo(() => chosenInstances(state.instances, details.version), [state.instances, details]);
  const [attempted, setAttempted] = useState<ReadonlySet<WizardStep>>(new Set());
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<ApiError>();
  const [stale, setStale] = useState(false);
  const [announcement, setAnnouncement] = useState<Announcement>();
  const dismiss = useCallback(() => setAnnouncement(undefined), []);
  const forms = useRef(new Map<number, ParameterFormHandle>());
  const headingRef = useFocusOnChange<HTMLHeadingElement>(state.step);
  const detailsOk = Object.keys(detailsProblems(state.details)).length === 0;
  const availability = useAvailability(
    state.details.name.trim(),
    effectiveNamespace(state.details),
    detailsOk && !edit,
  );

  // Entries named in the link (#/new?entry=...) are added once the catalog has loaded.
  const preselectedDone = useRef(false);
  useEffect(() => {
    if (preselectedDone.current || !catalogs.data) return;
    preselectedDone.current = true;
    for (const name of props.preselected) {
      const entry = catalogs.data.items.find((e) => e.name === name);
      if (entry) dispatch({ type: 'addInstance', entry: entry.name, version: entry.latestVersion });
    }
  }, [catalogs.data, props.preselected]);

  // The draft survives a reload of this tab (sessionStorage), without secret values.
  const created = useRef(false);
  useEffect(() => {
    if (created.current || edit) return;
    const draft = draftOf(state, (i) => secretParametersOf(details, i));
    if (hasInput(state)) window.sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
    else window.sessionStorage.removeItem(DRAFT_KEY);
  }, [state, details, edit]);

  // Leaving with input asks first; a reload keeps the draft, so it asks only for typed secrets.
  // Editing, what was read is no input: only a change is.
  const [readAs] = useState(() => (edit ? JSON.stringify(buildDocument(state)) : undefined));
  const dirty = readAs === undefined ? hasInput(state) : JSON.stringify(buildDocument(state)) !== readAs;
  const secretsTyped = state.instances.some((i) =>
    (secretParametersOf(details, i) ?? Object.keys(i.values)).some((p) => i.values[p] !== undefined),
  );
  const guard = useMemo<LeaveGuard | undefined>(
    () =>
      dirty
        ? {
            message: edit ? EDIT_LEAVE_MESSAGE : LEAVE_MESSAGE,
            stays: (route) => staysInWizard(route, edit) || created.current,
            beforeUnload: secretsTyped,
          }
        : undefined,
    [dirty, secretsTyped, edit],
  );
  useLeaveGuard(guard);
  useEffect(
    () => () => {
      // Left for good (after a confirmed leave or a create): the draft goes too.
      if (!edit) window.sessionStorage.removeItem(DRAFT_KEY);
    },
    [],
  );

  const stepIndex = WIZARD_STEPS.indexOf(state.step);

  /** Whether a step's input lets the user go past it; shows why not when `show`. */
  async function canLeave(step: WizardStep): Promise<boolean> {
    if (step === 'details') {
      if (!detailsOk) return false;
      if (edit) return true; // its name and namespace are its own already
      const problems = await availability.check();
      return problems.length === 0;
    }
    if (step === 'entries') {
      const problems = instanceProblems(state);
      const loaded = state.instances.every((i) => details.version(i.entry, i.version) !== undefined);
      return !problems.catalogs && Object.keys(problems.names).length === 0 && loaded;
    }
    if (step === 'parameters') {
      let valid = true;
      for (const instance of state.instances) {
        const form = forms.current.get(instance.id);
        const version = details.version(instance.entry, instance.version);
        if (form) {
          if (!form.validateForm()) valid = false;
        } else if (version && !parametersPass(instance, version)) valid = false;
      }
      return valid && !hasStaleReference(state, chosen, details);
    }
    return true;
  }

  const moving = useRef(false);
  /** Goes to `step`, through the steps before it: it stops at the first one whose input is not complete. */
  async function goTo(step: WizardStep): Promise<WizardStep> {
    if (moving.current) return state.step;
    const target = WIZARD_STEPS.indexOf(step);
    if (target <= stepIndex) {
      dispatch({ type: 'goto', step });
      return step;
    }
    moving.current = true;
    try {
      for (const s of WIZARD_STEPS.slice(stepIndex, target)) {
        if (!(await canLeave(s))) {
          if (s !== state.step) dispatch({ type: 'goto', step: s });
          setAttempted((a) => new Set(a).add(s));
          if (s === 'parameters') setValidateOnShow((n) => n + 1);
          focusFirstError();
          return s;
        }
      }
      dispatch({ type: 'goto', step });
      return step;
    } finally {
      moving.current = false;
    }
  }
  const [validateOnShow, setValidateOnShow] = useState(0);
  // Landing on Parameters because its input is not complete: its forms show their errors.
  useEffect(() => {
    if (validateOnShow === 0 || state.step !== 'parameters') return;
    const frame = window.requestAnimationFrame(() => {
      for (const form of forms.current.values()) form.validateForm();
      focusFirstError();
    });
    return () => window.cancelAnimationFrame(frame);
  }, [validateOnShow, state.step]);

  function next() {
    const following = WIZARD_STEPS[stepIndex + 1];
    if (following) void goTo(following);
  }

  useStepAddress({
    urlStep: props.step,
    step: state.step,
    goTo,
    replaceQuery: props.preselected.length > 0,
    address: (step) =>
      href(edit ? { page: 'edit', name: edit.view.metadata.name, step } : { page: 'new', entries: [], step }),
  });

  async function apply(target: EditTarget) {
    setCreating(true);
    setCreateError(undefined);
    const name = target.view.metadata.name;
    try {
      await client.updateEnvironment(name, updateDocument(state, target.view));
      created.current = true;
      navigate(href({ page: 'environment', name }));
    } catch (error) {
      const apiError = asApiError(error);
      if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
      if (apiError.status === 409) setStale(true);
      else if (isFieldError(apiError))
        dispatch({ type: 'serverErrors', errors: mapServerErrors(apiError.problems) });
      setCreateError(apiError);
      setCreating(false);
    }
  }

  async function create() {
    if (edit) return apply(edit);
    setCreating(true);
    setCreateError(undefined);
    const document = buildDocument(state);
    try {
      await client.createEnvironment(document);
      created.current = true;
      window.sessionStorage.removeItem(DRAFT_KEY);
      navigate(href({ page: 'environment', name: document.metadata.name }));
    } catch (error) {
      const apiError = asApiError(error);
      if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
      if (isFieldError(apiError))
        dispatch({ type: 'serverErrors', errors: mapServerErrors(apiError.problems) });
      setCreateError(apiError);
      setCreating(false);
    }
  }

  const serverDetailErrors = mergeDetailErrors(state.errors.details, availability.problems);

  return (
    <section aria-labelledby="wizard-title" className="wizard">
      {edit && (
        <p className="breadcrumb">
          <a href={href({ page: 'environment', name: edit.view.metadata.name })}>{edit.view.metadata.name}</a>{' '}
          /
        </p>
      )}
      <h1 id="wizard-title" tabIndex={-1}>
        {title}
      </h1>
      <nav aria-label="Wizard steps">
        <ol className="steps">
          {WIZARD_STEPS.map((step, i) => (
            <li
              key={step}
              className={`step${i < stepIndex ? ' step-done' : ''}${i === stepIndex ? ' step-current' : ''}`}
            >
              <button
                type="button"
                className="step-button"
                aria-current={i === stepIndex ? 'step' : undefined}
                onClick={() => void goTo(step)}
              >
                <span className="step-number" aria-hidden="true">
                  {i + 1}
                </span>
                <span className="visually-hidden">Step {i + 1}: </span>
                {STEP_LABEL[step]}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      {stale && edit ? (
        <StaleAlert error={createError} onReload={edit.onReload} />
      ) : (
        <GeneralErrors state={state} createError={createError} editing={edit !== undefined} />
      )}
      <div
        className="wizard-body"
        // Enter in a field submits the step, as in a form (not in a text area, not on a button).
        onKeyDown={(event) => {
          if (event.key !== 'Enter' || event.nativeEvent.isComposing) return;
          if (event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
          const target = event.target as HTMLElement;
          if (!(target instanceof HTMLInputElement) || !SUBMITTING_INPUTS.has(target.type)) return;
          if (target.closest('.reference-picker, .entry-search')) return;
          event.preventDefault();
          if (state.step !== 'review') next();
        }}
      >
        <h2 ref={headingRef} tabIndex={-1} className="step-title">
          {STEP_LABEL[state.step]}
        </h2>
        {state.step === 'details' && (
          <DetailsStep
            details={state.details}
            errors={serverDetailErrors}
            checking={availability.checking}
            locked={edit !== undefined}
            showProblems={attempted.has('details')}
            dispatch={dispatch}
          />
        )}
        {state.step === 'entries' && (
          <EntriesStep
            state={state}
            catalogs={catalogs}
            details={details}
            showProblems={attempted.has('entries')}
            dispatch={dispatch}
            onAdded={setAnnouncement}
          />
        )}
        {state.step === 'parameters' && (
          <ParametersStep
            state={state}
            details={details}
            chosen={chosen}
            forms={forms.current}
            dispatch={dispatch}
          />
        )}
        {state.step === 'review' && (
          <ReviewStep
            state={state}
            details={details}
            creating={creating}
            onCreate={() => void create()}
            edit={edit?.view}
            dispatch={dispatch}
          />
        )}
      </div>
      <WizardButtons
        stepIndex={stepIndex}
        onBack={(step) => void goTo(step)}
        onNext={next}
        cancel={edit ? href({ page: 'environment', name: edit.view.metadata.name }) : '#/environments'}
      />
      <AddedToast announcement={state.step === 'entries' ? announcement : undefined} onDismiss={dismiss} />
    </section>
  );
}

/** Input types in which Enter submits a form (HTML's implicit submission). */
const SUBMITTING_INPUTS = new Set(['text', 'search', 'number', 'password', 'email', 'url', 'tel', 'date']);

const EDIT_LEAVE_MESSAGE = 'Leave without applying your changes?';

function staysInWizard(route: Route, edit: EditTarget | undefined): boolean {
  return edit ? route.page === 'edit' && route.name === edit.view.metadata.name : route.page === 'new';
}

/** Applying found the environment changed since it was read: nothing was written. */
function StaleAlert(props: { error: ApiError | undefined; onReload: () => void }) {
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">The environment changed since you opened it; nothing was applied.</p>
      <p>
        {props.error?.message ?? 'Someone else updated it.'} Reload it to start again from what it is now
        (your changes here are discarded).
      </p>
      <button type="button" className="button" onClick={props.onReload}>
        Reload the environment
      </button>
    </div>
  );
}

function initialState(props: { step?: WizardStep; edit?: EditTarget }): WizardState {
  if (props.edit) return editStateFrom(props.edit.view);
  const initial = initialWizardState();
  const draft = parseDraft(window.sessionStorage.getItem(DRAFT_KEY));
  if (!draft) return initial;
  // A reload lands where the user was, or earlier if the address says so.
  const wanted = props.step ?? 'details';
  const step = WIZARD_STEPS.indexOf(wanted) <= WIZARD_STEPS.indexOf(draft.step) ? wanted : draft.step;
  return wizardReducer(initial, { type: 'restore', draft: { ...draft, step } });
}

function secretParametersOf(details: CatalogDetails, instance: InstanceDraft): readonly string[] | undefined {
  const version = details.version(instance.entry, instance.version);
  if (!version) return undefined;
  const schemas = parameterSchemas(version.parameters);
  return [
    ...version.secretParameters,
    ...[...schemas].filter(([, schema]) => isSecretSchema(schema)).map(([name]) => name),
  ];
}

function mergeDetailErrors(
  errors: Partial<Record<DetailsField, string[]>>,
  problems: readonly Problem[],
): Partial<Record<DetailsField, string[]>> {
  if (problems.length === 0) return errors;
  const mapped = mapServerErrors(problems).details;
  const merged: Partial<Record<DetailsField, string[]>> = { ...errors };
  for (const [field, messages] of Object.entries(mapped) as Array<[DetailsField, string[]]>) {
    const current = merged[field] ?? [];
    merged[field] = [...current, ...messages.filter((m) => !current.includes(m))];
  }
  return merged;
}

/**
 * Each step has its own address (`#/new/entries`): a step the wizard moves to is pushed, so the
 * browser's Back goes to the step before; an address typed or reached by Back/Forward moves the
 * wizard there, through the checks of the steps in between.
 */
function useStepAddress(props: {
  urlStep: WizardStep | undefined;
  step: WizardStep;
  goTo: (step: WizardStep) => Promise<WizardStep>;
  replaceQuery: boolean;
  address: (step: WizardStep) => string;
}) {
  const { urlStep, step } = props;
  const address = useRef(props.address);
  address.current = props.address;
  const synced = useRef<WizardStep | undefined>(undefined);
  const goTo = useRef(props.goTo);
  goTo.current = props.goTo;
  const first = useRef(props.replaceQuery || urlStep === undefined);
  useEffect(() => {
    const wanted = urlStep ?? 'details';
    if (first.current) {
      // The first address (#/new, #/new?entry=…) becomes the step's own, in place.
      first.current = false;
      synced.current = step;
      window.location.replace(address.current(step));
      return;
    }
    if (wanted !== synced.current) {
      synced.current = wanted;
      if (wanted === step) return;
      void goTo.current(wanted).then((reached) => {
        // Stopped earlier (a step's input is not complete): the address says where.
        if (reached === synced.current) return;
        synced.current = reached;
        window.location.replace(address.current(reached));
      });
      return;
    }
    if (step !== synced.current) {
      synced.current = step;
      window.location.hash = address.current(step);
    }
  }, [urlStep, step]);
}

function WizardButtons(props: {
  stepIndex: number;
  onBack: (step: WizardStep) => void;
  onNext: () => void;
  cancel: string;
}) {
  const previous = WIZARD_STEPS[props.stepIndex - 1];
  const following = WIZARD_STEPS[props.stepIndex + 1];
  return (
    <div className="wizard-buttons">
      {previous ? (
        <button type="button" className="button" onClick={() => props.onBack(previous)}>
          Back
        </button>
      ) : (
        <a className="button" href={props.cancel}>
          Cancel
        </a>
      )}
      {following && (
        <button type="button" className="button button-primary" onClick={props.onNext}>
          Next: {STEP_LABEL[following]}
        </button>
      )}
    </div>
  );
}

function GeneralErrors(props: { state: WizardState; createError: ApiError | undefined; editing: boolean }) {
  const { errors } = props.state;
  const { createError } = props;
  if (createError && !isFieldError(createError))
    return (
      <ErrorAlert
        error={createError}
        title={props.editing ? 'The changes were not applied.' : 'The environment was not created.'}
      />
    );
  const count =
    Object.values(errors.details).reduce((n, m) => n + (m?.length ?? 0), 0) +
    errors.catalogs.length +
    errors.general.length +
    Object.values(errors.instances).filter(
      (e) => e.name.length + e.entry.length + e.other.length > 0 || hasErrors(e.parameters),
    ).length;
  if (count === 0) return null;
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">The server did not accept the request; nothing was committed.</p>
      {errors.general.length > 0 ? (
        <ul>
          {errors.general.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      ) : (
        <p>Each problem is shown at its field.</p>
      )}
    </div>
  );
}

/** A reference whose producer was removed, renamed away or changed version: the chip shows why. */
function hasStaleReference(
  state: WizardState,
  chosen: readonly ChosenInstance[],
  details: CatalogDetails,
): boolean {
  return state.instances.some((instance) => {
    const version = details.version(instance.entry, instance.version);
    if (!version) return false;
    const schemas = parameterSchemas(version.parameters);
    return Object.entries(instance.references).some(([parameter, reference]) => {
      const schema = schemas.get(parameter);
      if (!schema) return true;
      const target = {
        instance: instance.name,
        parameter,
        schema,
        secret: version.secretParameters.includes(parameter),
      };
      return referenceProblem(chosen, target, reference) !== undefined;
    });
  });
}

/** After a failed Next, the first field with an error gets the focus. */
function focusFirstError() {
  window.requestAnimationFrame(() => {
    const target = document.querySelector<HTMLElement>(
      '.wizard-body [aria-invalid="true"], .wizard-body .rjsf-field-error input, .wizard-body .rjsf-field-error select, .wizard-body .rjsf-field-error textarea, .wizard-body .has-error input, .wizard-body .reference-field button',
    );
    target?.focus();
  });
}
