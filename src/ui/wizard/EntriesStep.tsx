/** Step 2: choose catalog entries; each becomes an instance with a name and a version. */
import { useId, useMemo, useState, type Dispatch } from 'react';
import type { CatalogSummary } from '../../api/contract.js';
import type { Load } from '../app/hooks.js';
import { ErrorAlert, Loading, TypeBadge } from '../components/common.js';
import { Field } from '../components/Field.js';
import { filterCatalog, NO_FILTER } from '../logic/catalog.js';
import type { Announcement } from './AddedToast.js';
import {
  instanceProblems,
  suggestInstanceName,
  type InstanceDraft,
  type WizardAction,
  type WizardState,
} from '../logic/wizard.js';
import type { CatalogDetails } from './catalog-details.js';

export function EntriesStep(props: {
  state: WizardState;
  catalogs: Load<{ items: CatalogSummary[] }> & { reload: () => void };
  details: CatalogDetails;
  showProblems: boolean;
  dispatch: Dispatch<WizardAction>;
  /** Told of each entry added, to say so where the user is looking. */
  onAdded: (announcement: Announcement) => void;
}) {
  const { state, catalogs, dispatch } = props;
  const [query, setQuery] = useState('');
  const searchId = useId();
  const items = catalogs.data?.items;
  const shown = useMemo(() => (items ? filterCatalog(items, { ...NO_FILTER, query }) : []), [items, query]);
  const byName = useMemo(() => new Map((items ?? []).map((e) => [e.name, e])), [items]);
  const problems = instanceProblems(state);

  return (
    <div className="entries-step">
      <section aria-labelledby="available-title" className="available">
        <h3 id="available-title">Available entries</h3>
        <div className="field entry-search">
          <label htmlFor={searchId}>Search entries</label>
          <input id={searchId} type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
        {catalogs.state === 'error' && (
          <ErrorAlert
            error={catalogs.error}
            title="The catalog could not be loaded."
            action={
              <button type="button" className="button" onClick={catalogs.reload}>
                Try again
              </button>
            }
          />
        )}
        {!items && catalogs.state === 'loading' && <Loading label="Loading the catalog…" />}
        <ul className="entry-list">
          {shown.map((entry) => (
            <li key={entry.name} className="entry-option">
              <div>
                <p className="entry-title">
                  {entry.title} <TypeBadge type={entry.type} />
                </p>
                <p className="muted">{entry.description}</p>
              </div>
              <button
                type="button"
                className="button button-small"
                aria-label={`Add ${entry.title}`}
                onClick={() => {
                  const name = suggestInstanceName(entry.name, new Set(state.instances.map((i) => i.name)));
                  dispatch({ type: 'addInstance', entry: entry.name, version: entry.latestVersion });
                  props.onAdded({
                    key: state.nextId,
                    text: `Added ${entry.title} as “${name}” (${state.instances.length + 1} in this environment).`,
                    target: instanceCardId(state.nextId),
                  });
                }}
              >
                Add
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="chosen-title" className="chosen">
        <h3 id="chosen-title">In this environment</h3>
        {state.errors.catalogs.length > 0 && (
          <ul className="field-errors">
            {state.errors.catalogs.map((m, i) => (
              <li key={i} className="field-error">
                {m}
              </li>
            ))}
          </ul>
        )}
        {state.instances.length === 0 ? (
          <p
            className={props.showProblems ? 'field-error' : 'muted'}
            role={props.showProblems ? 'alert' : undefined}
          >
            No entries chosen yet: add at least one.
          </p>
        ) : (
          <ul className="instance-list">
            {state.instances.map((instance) => (
              <li key={instance.id}>
                <InstanceCard
                  instance={instance}
                  summary={byName.get(instance.entry)}
                  details={props.details}
                  nameProblem={problems.names[instance.id]}
                  showProblems={props.showProblems}
                  state={state}
                  dispatch={dispatch}
                />
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

export function instanceCardId(id: number): string {
  return `instance-card-${id}`;
}

function InstanceCard(props: {
  instance: InstanceDraft;
  summary: CatalogSummary | undefined;
  details: CatalogDetails;
  nameProblem: string | undefined;
  showProblems: boolean;
  state: WizardState;
  dispatch: Dispatch<WizardAction>;
}) {
  const { instance, summary, dispatch } = props;
  const [touched, setTouched] = useState(false);
  const errors = props.state.errors.instances[instance.id];
  const nameErrors = [
    ...(props.nameProblem && (touched || props.showProblems) ? [props.nameProblem] : []),
    ...(errors?.name ?? []),
  ];
  const detail = props.details.get(instance.entry);
  const versions = summary?.versions ?? [instance.version];
  return (
    <fieldset className="card instance-card" id={instanceCardId(instance.id)}>
      <legend>
        {summary?.title ?? instance.entry} {summary && <TypeBadge type={summary.type} />}
      </legend>
      <div className="instance-fields">
        <Field
          label="Instance name"
          errors={nameErrors}
          help={
            instance.running
              ? 'It runs under this name; to rename it, remove it and add a new instance.'
              : 'Other instances refer to its outputs by this name.'
          }
        >
          {(c) => (
            <input
              id={c.id}
              value={instance.name}
              onChange={(e) => dispatch({ type: 'renameInstance', id: instance.id, name: e.target.value })}
              readOnly={instance.running !== undefined}
              onBlur={() => setTouched(true)}
              aria-describedby={c.describedBy}
              aria-invalid={c.invalid || undefined}
              autoComplete="off"
              spellCheck={false}
            />
          )}
        </Field>
        <Field
          label="Version"
          errors={errors?.entry}
          help={instance.running ? 'It stays at the version it runs; an upgrade moves it.' : undefined}
        >
          {(c) => (
            <select
              id={c.id}
              value={instance.version}
              onChange={(e) => dispatch({ type: 'setVersion', id: instance.id, version: e.target.value })}
              disabled={instance.running !== undefined}
              aria-describedby={c.describedBy}
              aria-invalid={c.invalid || undefined}
            >
              {versions.map((v, i) => (
                <option key={v} value={v}>
                  {v}
                  {i === 0 ? ' (latest)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {errors && errors.other.length > 0 && (
        <ul className="field-errors">
          {errors.other.map((m, i) => (
            <li key={i} className="field-error">
              {m}
            </li>
          ))}
        </ul>
      )}
      {detail?.state === 'error' && (
        <ErrorAlert
          error={detail.error}
          title={`The schema of ${instance.entry} could not be loaded.`}
          action={
            <button type="button" className="button" onClick={() => props.details.retry(instance.entry)}>
              Try again
            </button>
          }
        />
      )}
      <button
        type="button"
        className="button button-small button-quiet remove"
        aria-label={`Remove ${instance.name || instance.entry}`}
        onClick={() => dispatch({ type: 'removeInstance', id: instance.id })}
      >
        Remove
      </button>
    </fieldset>
  );
}
