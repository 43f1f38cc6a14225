/**
 * Step 4: what will happen, from the server's dry run: the plan (phases and waves) and the files each
 * repository will receive. Nothing is written until "Create environment".
 */
import { Fragment, useEffect, useMemo, useState, type Dispatch } from 'react';
import type { ApiError } from '../api/client.js';
import type { DryRun, EnvironmentView, RepoName, UpdateDryRun } from '../../api/contract.js';
import { asApiError } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { ErrorAlert, Loading } from '../components/common.js';
import { FilePath, PlanPhases, REPO_LABEL, UpdatePlanView } from '../components/UpdatePlan.js';
import { updateDocument } from '../logic/edit.js';
import { PlanGraph } from '../components/PlanGraph.js';
import { isFieldError, mapServerErrors } from '../logic/server-errors.js';
import { reviewRows, type ReviewRow } from '../logic/review.js';
import { buildDocument, type WizardAction, type WizardState } from '../logic/wizard.js';
import type { CatalogDetails } from './catalog-details.js';

type Plan =
  | { state: 'loading' }
  | { state: 'ready'; result: DryRun }
  | { state: 'update'; result: UpdateDryRun }
  | { state: 'error'; error: ApiError };

export function ReviewStep(props: {
  state: WizardState;
  details: CatalogDetails;
  creating: boolean;
  onCreate: () => void;
  dispatch: Dispatch<WizardAction>;
  /** Editing this running environment: the review is the update's dry run, with a diff per file. */
  edit?: EnvironmentView;
}) {
  const { state, dispatch, edit } = props;
  const { client, signOut } = useSession();
  const document = useMemo(() => (edit ? updateDocument(state, edit) : buildDocument(state)), [state, edit]);
  const documentKey = JSON.stringify(document);
  const [plan, setPlan] = useState<Plan>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    setPlan({ state: 'loading' });
    const body = JSON.parse(documentKey) as typeof document;
    const planned: Promise<Plan> = edit
      ? client
          .planUpdate(edit.metadata.name, body, { signal: controller.signal })
          .then((result) => ({ state: 'update', result }))
      : client
          .planEnvironment(body, { signal: controller.signal })
          .then((result) => ({ state: 'ready', result }));
    planned.then(
      (result) => setPlan(result),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const apiError = asApiError(error);
        if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
        if (isFieldError(apiError))
          dispatch({ type: 'serverErrors', errors: mapServerErrors(apiError.problems) });
        setPlan({ state: 'error', error: apiError });
      },
    );
    return () => controller.abort();
  }, [documentKey, attempt, client, dispatch, signOut, edit]);

  return (
    <div className="review-step">
      <Summary state={state} details={props.details} />
      <section aria-labelledby="plan-title" className="panel">
        <h3 id="plan-title">Plan</h3>
        {plan.state === 'loading' && <Loading label="Planning…" />}
        {plan.state === 'error' && (
          <ErrorAlert
            error={plan.error}
            title="The plan could not be made."
            action={
              <button type="button" className="button" onClick={() => setAttempt((a) => a + 1)}>
                Try again
              </button>
            }
          />
        )}
        {plan.state === 'ready' && <PlanView result={plan.result} />}
        {plan.state === 'update' && <UpdatePlanView result={plan.result} />}
      </section>
      <div className="create-row">
        <p className="muted">Secret values are stored as Kubernetes Secrets, never in Git.</p>
        <button
          type="button"
          className="button button-primary"
          onClick={props.onCreate}
          disabled={
            (plan.state !== 'ready' && plan.state !== 'update') || props.creating || nothingToDo(plan)
          }
        >
          {edit
            ? props.creating
              ? 'Applying…'
              : 'Apply changes'
            : props.creating
              ? 'Creating…'
              : 'Create environment'}
        </button>
      </div>
    </div>
  );
}

function Summary(props: { state: WizardState; details: CatalogDetails }) {
  const { details } = props.state;
  const document = buildDocument(props.state);
  return (
    <section aria-labelledby="summary-title" className="panel">
      <h3 id="summary-title">Environment</h3>
      <dl className="facts facts-wide">
        <div>
          <dt>Name</dt>
          <dd className="mono">{document.metadata.name}</dd>
        </div>
        <div>
          <dt>Namespace</dt>
          <dd className="mono">{document.spec.namespace}</dd>
        </div>
        <div>
          <dt>Type</dt>
          <dd>{document.spec.type}</dd>
        </div>
        <div>
          <dt>TTL</dt>
          <dd>{document.spec.ttl ?? 'none'}</dd>
        </div>
        {details.description.trim() && (
          <div className="fact-wide">
            <dt>Description</dt>
            <dd>{details.description.trim()}</dd>
          </div>
        )}
      </dl>
      {props.state.instances.map((instance) => {
        const version = props.details.version(instance.entry, instance.version);
        const rows = version ? reviewRows(instance, version) : { chosen: [], defaults: [] };
        const title = props.details.get(instance.entry);
        return (
          <div key={instance.id} className="summary-instance">
            <h4>
              <span className="mono">{instance.name}</span> ←{' '}
              {title?.state === 'ready' ? title.data.title : instance.entry} {instance.version}
            </h4>
            {rows.chosen.length === 0 ? (
              <p className="muted">Every parameter at its default.</p>
            ) : (
              <dl className="params" aria-label={`Parameters of ${instance.name}`}>
                {rows.chosen.map((row) => (
                  <ParameterRow key={row.name} row={row} />
                ))}
              </dl>
            )}
            {rows.defaults.length > 0 && (
              <details className="defaults">
                <summary>
                  {rows.defaults.length === 1
                    ? '1 parameter at its default'
                    : `${rows.defaults.length} parameters at their defaults`}
                </summary>
                <dl className="params" aria-label={`Defaults of ${instance.name}`}>
                  {rows.defaults.map((row) => (
                    <ParameterRow key={row.name} row={row} />
                  ))}
                </dl>
              </details>
            )}
          </div>
        );
      })}
    </section>
  );
}

function ParameterRow(props: { row: ReviewRow }) {
  const { row } = props;
  return (
    <div>
      <dt title={row.name}>{row.title}</dt>
      <dd className="mono">
        {row.kind === 'reference' ? (
          <span className="chip">
            ⇐ <OutputName name={row.value} />
          </span>
        ) : (
          row.value
        )}
        {row.kind === 'default' && <span className="default-mark"> (default)</span>}
      </dd>
    </div>
  );
}

/** `instance.output`, which wraps after the dot rather than inside either name. */
function OutputName(props: { name: string }) {
  return props.name.split('.').map((part, i) => (
    <Fragment key={i}>
      {i > 0 && (
        <>
          .<wbr />
        </>
      )}
      {part}
    </Fragment>
  ));
}

/**
 * Why a file is not rendered yet. The dry run renders phase 1 only: every application file waits for
 * the infrastructure, whether or not it reads an output; an infrastructure file waits for the outputs
 * of the step it references.
 */
function pendingNote(step: string | undefined): string {
  return step?.endsWith('/apps')
    ? 'written in phase 2, once the infrastructure is ready'
    : 'written once the outputs it needs are known';
}

function nothingToDo(plan: Plan): boolean {
  return plan.state === 'update' && plan.result.files.length === 0;
}

function PlanView(props: { result: DryRun }) {
  const { plan, files } = props.result;
  const repos: RepoName[] = ['platform', 'apps'];
  return (
    <>
      <PlanGraph plan={plan} edges={props.result.edges} title="The plan, by wave" />
      <PlanPhases plan={plan} />
      <h3>Files</h3>
      <div className="two-columns">
        {repos.map((repo) => {
          const list = files.filter((f) => f.repo === repo);
          return (
            <section key={repo} aria-label={REPO_LABEL[repo]} className="files">
              <h4>{REPO_LABEL[repo]}</h4>
              {list.length === 0 ? (
                <p className="muted">No files.</p>
              ) : (
                <ul className="file-list">
                  {list.map((f) => (
                    <li key={f.path}>
                      {f.content === undefined ? (
                        <p className="file-name">
                          <FilePath path={f.path} />
                          {f.pending && <span className="muted"> ({pendingNote(f.step)})</span>}
                        </p>
                      ) : (
                        <details className="file">
                          <summary className="file-name">
                            <FilePath path={f.path} />
                          </summary>
                          <pre className="file-content" tabIndex={0} aria-label={`Content of ${f.path}`}>
                            {f.content}
                          </pre>
                        </details>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          );
        })}
      </div>
    </>
  );
}
