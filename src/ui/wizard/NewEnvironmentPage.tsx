/**
 * The new-environment wizard, as Backstage's template wizard does it: details, entries, one form
 * per entry generated from its schema, and a review of the plan and the files before anything is
 * committed. The server's errors take the user back to the field they name.
 */
import { useEffect, useMemo, useReducer, useRef, useState, type Dispatch } from 'react';
import type { ApiError } from '../api/client.js';
import { asApiError, navigate, useDocumentTitle, useFocusOnChange, useLoad } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { ErrorAlert } from '../components/common.js';
import { href } from '../logic/router.js';
import { referenceProblem, type ChosenInstance } from '../logic/references.js';
import { parameterSchemas } from '../logic/schema.js';
import { hasErrors, isFieldError, mapServerErrors } from '../logic/server-errors.js';
import {
  buildDocument,
  chosenInstances,
  detailsProblems,
  initialWizardState,
  instanceProblems,
  WIZARD_STEPS,
  wizardReducer,
  type WizardAction,
  type WizardState,
  type WizardStep,
} from '../logic/wizard.js';
import { useCatalogDetails, type CatalogDetails } from './catalog-details.js';
import { DetailsStep } from './DetailsStep.js';
import { EntriesStep } from './EntriesStep.js';
import type { ParameterFormHandle } from './ParameterForm.js';
import { ParametersStep } from './ParametersStep.js';
import { ReviewStep } from './ReviewStep.js';

const STEP_LABEL: Record<WizardStep, string> = {
  details: 'Details',
  entries: 'Entries',
  parameters: 'Parameters',
  review: 'Review',
};

export function NewEnvironmentPage(props: { preselected: readonly string[] }) {
  useDocumentTitle('New environment');
  const { client, signOut } = useSession();
  const [state, dispatch] = useReducer(wizardReducer, undefined, initialWizardState);
  const catalogs = useLoad('catalogs', (signal) => client.listCatalogs({ signal }));
  const details = useCatalogDetails(state.instances.map((i) => i.entry));
  const chosen = useMemo(() => chosenInstances(state.instances, details.version), [state.instances, details]);
  const [attempted, setAttempted] = useState<ReadonlySet<WizardStep>>(new Set());
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<ApiError>();
  const forms = useRef(new Map<number, ParameterFormHandle>());
  const headingRef = useFocusOnChange<HTMLHeadingElement>(state.step);

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

  const stepIndex = WIZARD_STEPS.indexOf(state.step);

  function canLeave(step: WizardStep): boolean {
    if (step === 'details') return Object.keys(detailsProblems(state.details)).length === 0;
    if (step === 'entries') {
      const problems = instanceProblems(state);
      const loaded = state.instances.every((i) => details.version(i.entry, i.version) !== undefined);
      return !problems.catalogs && Object.keys(problems.names).length === 0 && loaded;
    }
    if (step === 'parameters') {
      let valid = true;
      for (const instance of state.instances) {
        const form = forms.current.get(instance.id);
        if (form && !form.validateForm()) valid = false;
      }
      return valid && !hasStaleReference(state, chosen, details);
    }
    return true;
  }

  function next() {
    if (!canLeave(state.step)) {
      setAttempted((s) => new Set(s).add(state.step));
      focusFirstError();
      return;
    }
    const following = WIZARD_STEPS[stepIndex + 1];
    if (following) dispatch({ type: 'goto', step: following });
  }

  function goTo(step: WizardStep) {
    // Going back is always allowed; going forward only through the steps in between.
    const target = WIZARD_STEPS.indexOf(step);
    if (target <= stepIndex) {
      dispatch({ type: 'goto', step });
      return;
    }
    for (const s of WIZARD_STEPS.slice(stepIndex, target)) {
      if (s === 'parameters' && state.step !== 'parameters') {
        dispatch({ type: 'goto', step: 'parameters' });
        return;
      }
      if (!canLeave(s)) {
        dispatch({ type: 'goto', step: s });
        setAttempted((a) => new Set(a).add(s));
        return;
      }
    }
    dispatch({ type: 'goto', step });
  }

  async function create() {
    setCreating(true);
    setCreateError(undefined);
    const document = buildDocument(state);
    try {
      await client.createEnvironment(document);
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

  return (
    <section aria-labelledby="wizard-title" className="wizard">
      <h1 id="wizard-title" tabIndex={-1}>
        New environment
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
                onClick={() => goTo(step)}
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
      <GeneralErrors state={state} createError={createError} />
      <div className="wizard-body">
        <h2 ref={headingRef} tabIndex={-1} className="step-title">
          {STEP_LABEL[state.step]}
        </h2>
        {state.step === 'details' && (
          <DetailsStep
            details={state.details}
            errors={state.errors.details}
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
            dispatch={dispatch}
          />
        )}
      </div>
      <WizardButtons stepIndex={stepIndex} dispatch={dispatch} onNext={next} />
    </section>
  );
}

function WizardButtons(props: { stepIndex: number; dispatch: Dispatch<WizardAction>; onNext: () => void }) {
  const previous = WIZARD_STEPS[props.stepIndex - 1];
  const following = WIZARD_STEPS[props.stepIndex + 1];
  return (
    <div className="wizard-buttons">
      {previous ? (
        <button
          type="button"
          className="button"
          onClick={() => props.dispatch({ type: 'goto', step: previous })}
        >
          Back
        </button>
      ) : (
        <a className="button" href="#/environments">
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

function GeneralErrors(props: { state: WizardState; createError: ApiError | undefined }) {
  const { errors } = props.state;
  const { createError } = props;
  if (createError && !isFieldError(createError))
    return <ErrorAlert error={createError} title="The environment was not created." />;
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
