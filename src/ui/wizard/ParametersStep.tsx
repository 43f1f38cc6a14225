/** Step 3: one generated form per instance. */
import { useCallback, useId, type Dispatch } from 'react';
import type { JsonValue } from '../../api/contract.js';
import { ErrorAlert, Loading, TypeBadge } from '../components/common.js';
import type { ChosenInstance } from '../logic/references.js';
import type { InstanceDraft, WizardAction, WizardState } from '../logic/wizard.js';
import type { CatalogDetails } from './catalog-details.js';
import { ParameterForm, type ParameterFormHandle } from './ParameterForm.js';

export function ParametersStep(props: {
  state: WizardState;
  details: CatalogDetails;
  chosen: readonly ChosenInstance[];
  forms: Map<number, ParameterFormHandle>;
  dispatch: Dispatch<WizardAction>;
}) {
  const { state } = props;
  const producers = props.chosen.filter((c) => c.type !== 'yaml' && c.outputs.length > 0);
  return (
    <div className="parameters-step">
      <p className="lead">
        Defaults are filled in; fields marked * are required.
        {producers.length > 0 &&
          ' A field that an infrastructure instance can feed has a “Use an output” button: its value then comes from that instance once it is provisioned.'}
      </p>
      {state.instances.map((instance) => (
        <InstanceSection key={instance.id} {...props} instance={instance} />
      ))}
    </div>
  );
}

function InstanceSection(props: {
  instance: InstanceDraft;
  state: WizardState;
  details: CatalogDetails;
  chosen: readonly ChosenInstance[];
  forms: Map<number, ParameterFormHandle>;
  dispatch: Dispatch<WizardAction>;
}) {
  const { instance, dispatch, forms } = props;
  const { id } = instance;
  const headingId = useId();
  const detail = props.details.get(instance.entry);
  const version = props.details.version(instance.entry, instance.version);
  const onValues = useCallback(
    (values: Record<string, JsonValue | undefined>) => dispatch({ type: 'setValues', id, values }),
    [dispatch, id],
  );
  const onSetReference = useCallback(
    (parameter: string, reference: string) => dispatch({ type: 'setReference', id, parameter, reference }),
    [dispatch, id],
  );
  const onClearReference = useCallback(
    (parameter: string) => dispatch({ type: 'clearReference', id, parameter }),
    [dispatch, id],
  );
  const formRef = useCallback(
    (form: ParameterFormHandle | null) => {
      if (form) forms.set(id, form);
      else forms.delete(id);
    },
    [forms, id],
  );
  const title = detail?.state === 'ready' ? detail.data.title : instance.entry;
  return (
    <section className="card instance-form" aria-labelledby={headingId}>
      <h3 id={headingId}>
        <span className="mono">{instance.name}</span>
        <span className="instance-entry">
          {' '}
          · {title} {instance.version}
        </span>
      </h3>
      {version && <TypeBadge type={version.type} />}
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
      {!version && detail?.state !== 'error' && (
        <Loading label={`Loading the schema of ${instance.entry}…`} />
      )}
      {version && (
        <ParameterForm
          instance={instance}
          version={version}
          chosen={props.chosen}
          serverErrors={props.state.errors.instances[id]?.parameters}
          formRef={formRef}
          onValues={onValues}
          onSetReference={onSetReference}
          onClearReference={onClearReference}
        />
      )}
    </section>
  );
}
