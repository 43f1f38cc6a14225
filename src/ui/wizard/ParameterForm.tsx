/**
 * One instance's parameters as a react-jsonschema-form generated from the entry's JSON Schema:
 * defaults filled, enums as selects, descriptions as help, secrets masked, live validation, the
 * server's errors at their fields, and an output-reference picker on every field some chosen
 * infrastructure instance can feed.
 */
import Form, { getDefaultRegistry } from '@rjsf/core';
import {
  getTemplate,
  getUiOptions,
  TranslatableString,
  type ErrorSchema,
  type FieldProps,
  type FieldTemplateProps,
  type IconButtonProps,
  type RJSFSchema,
  type RJSFValidationError,
  type UiSchema,
} from '@rjsf/utils';
import { useCallback, useEffect, useId, useMemo, useRef, useState, type Ref } from 'react';
import type { CatalogVersion, JsonSchema, JsonValue } from '../../api/contract.js';
import {
  referenceCandidates,
  referenceProblem,
  type ChosenInstance,
  type ReferenceCandidate,
} from '../logic/references.js';
import { isSchema } from '../../core/browser.js';
import {
  formErrorMessage,
  formSchema,
  humanize,
  parameterSchemas,
  REFERENCE_FIELD,
  schemaToUiSchema,
} from '../logic/schema.js';
import type { ErrorTree } from '../logic/server-errors.js';
import { keptSecrets } from '../logic/edit.js';
import type { InstanceDraft } from '../logic/wizard.js';
import { validator } from './validator.js';

/** rjsf's form data type; the wizard keeps the values as JSON (`JsonValue`) once they come out. */
type Values = Record<string, unknown>;

export type ParameterFormHandle = Form<Values, RJSFSchema, ReferenceContext>;

/** What the custom field and template need, passed as rjsf's formContext. */
interface ReferenceContext {
  candidates: ReadonlyMap<string, ReferenceCandidate[]>;
  references: Readonly<Record<string, string>>;
  problems: Readonly<Record<string, string | undefined>>;
  labels: ReadonlyMap<string, string>;
  setReference: (parameter: string, reference: string) => void;
  clearReference: (parameter: string) => void;
}

const defaultTemplates = getDefaultRegistry<Values, RJSFSchema, ReferenceContext>().templates;

/** rjsf's array buttons are icon fonts we do not ship; these say what they do in words. */
function textButton(label: TranslatableString, className = '') {
  return function TextButton(props: IconButtonProps<Values, RJSFSchema, ReferenceContext>) {
    return (
      <button
        type="button"
        id={props.id}
        className={`button button-small ${className}`}
        onClick={props.onClick}
        disabled={props.disabled}
      >
        {props.registry.translateString(label)}
      </button>
    );
  };
}

const BUTTON_TEMPLATES = {
  ...defaultTemplates.ButtonTemplates,
  AddButton: textButton(TranslatableString.AddButton, 'array-add'),
  CopyButton: textButton(TranslatableString.CopyButton),
  MoveDownButton: textButton(TranslatableString.MoveDownButton),
  MoveUpButton: textButton(TranslatableString.MoveUpButton),
  RemoveButton: textButton(TranslatableString.RemoveButton, 'button-quiet'),
};

function topLevelParameter(path: ReadonlyArray<string | number>): string | undefined {
  return path.length === 1 && typeof path[0] === 'string' ? path[0] : undefined;
}

/**
 * rjsf's field template with two changes: the required marker stays outside the label, so the label
 * is exactly the field's title (the input carries `required`), and top-level fields that an output can feed get the picker.
 */
function FieldTemplate(props: FieldTemplateProps<Values, RJSFSchema, ReferenceContext>) {
  const {
    id,
    label,
    children,
    errors,
    help,
    description,
    hidden,
    required,
    displayLabel,
    registry,
    uiSchema,
  } = props;
  const uiOptions = getUiOptions<Values, RJSFSchema, ReferenceContext>(uiSchema);
  const WrapIfAdditionalTemplate = getTemplate<
    'WrapIfAdditionalTemplate',
    Values,
    RJSFSchema,
    ReferenceContext
  >('WrapIfAdditionalTemplate', registry, uiOptions);
  if (hidden) return <div className="hidden">{children}</div>;
  const context = registry.formContext;
  const parameter = topLevelParameter(props.fieldPathId.path);
  const candidates = parameter ? (context.candidates.get(parameter) ?? []) : [];
  const picker =
    parameter !== undefined && candidates.length > 0 && context.references[parameter] === undefined;
  return (
    <WrapIfAdditionalTemplate {...props}>
      {displayLabel && uiOptions.widget !== 'checkbox' && (
        <div className="label-row">
          <label className="control-label" htmlFor={id}>
            {label}
          </label>
          {required && (
            <span className="required" aria-hidden="true">
              *
            </span>
          )}
        </div>
      )}
      {displayLabel && description ? description : null}
      {children}
      {errors}
      {help}
      {picker && (
        <ReferencePicker
          label={label}
          candidates={candidates}
          onPick={(reference) => context.setReference(parameter, reference)}
        />
      )}
    </WrapIfAdditionalTemplate>
  );
}

function ReferencePicker(props: {
  label: string;
  candidates: ReferenceCandidate[];
  onPick: (reference: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const [choice, setChoice] = useState('');
  const selectId = useId();
  const toggle = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(false);
    setChoice('');
    window.requestAnimationFrame(() => toggle.current?.focus());
  };
  if (!open)
    return (
      <button
        ref={toggle}
        type="button"
        className="button button-small button-quiet reference-toggle"
        aria-label={`Use an output for ${props.label}`}
        onClick={() => setOpen(true)}
      >
        <span aria-hidden="true">⇐</span> Use an output
      </button>
    );
  // A select that acts on change would fire on every arrow key; the choice is applied by a button.
  return (
    <div
      className="reference-picker"
      onKeyDown={(e) => {
        if (e.key === 'Escape') close();
      }}
    >
      <label htmlFor={selectId}>Output for {props.label}</label>
      <div className="reference-picker-row">
        <select id={selectId} value={choice} autoFocus onChange={(e) => setChoice(e.target.value)}>
          <option value="" disabled>
            Choose an output…
          </option>
          {props.candidates.map((c) => (
            <option key={c.value} value={c.value}>
              {c.value} ({c.type}){c.description ? ` — ${c.description}` : ''}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="button button-small button-primary"
          disabled={choice === ''}
          onClick={() => props.onPick(choice)}
        >
          Use output
        </button>
        <button type="button" className="button button-small" onClick={close}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** Stands in for a parameter fed by an output: a read-only chip and the way back to a literal value. */
function ReferenceField(props: FieldProps<Values, RJSFSchema, ReferenceContext>) {
  const context = props.registry.formContext;
  const labelId = useId();
  const reference = context.references[props.name];
  const label = context.labels.get(props.name) ?? humanize(props.name);
  if (reference === undefined) return null;
  const problem = context.problems[props.name];
  return (
    <div className="reference-field" role="group" aria-labelledby={labelId}>
      <span id={labelId} className="control-label">
        {label}
      </span>
      <div className="reference-row">
        <span className={`chip${problem ? ' chip-error' : ''}`}>
          <span aria-hidden="true">⇐</span> <span className="visually-hidden">from output</span>
          <code>{reference}</code>
        </span>
        <button
          type="button"
          className="button button-small button-quiet"
          data-reference-for={props.name}
          aria-label={`Use a value instead of ${reference}`}
          onClick={() => context.clearReference(props.name)}
        >
          Use a value instead
        </button>
      </div>
      {problem && <p className="field-error">{problem}</p>}
    </div>
  );
}

const FIELDS = { [REFERENCE_FIELD]: ReferenceField };
const TEMPLATES = { FieldTemplate, ButtonTemplates: BUTTON_TEMPLATES };

export interface ParameterFormProps {
  instance: InstanceDraft;
  version: CatalogVersion;
  chosen: readonly ChosenInstance[];
  serverErrors: ErrorTree | undefined;
  formRef: Ref<ParameterFormHandle>;
  onValues: (values: Record<string, JsonValue | undefined>) => void;
  onSetReference: (parameter: string, reference: string) => void;
  onClearReference: (parameter: string) => void;
}

const FOCUSABLE = 'input, select, textarea, button';

export function ParameterForm(props: ParameterFormProps) {
  const { instance, version, chosen, onSetReference, onClearReference } = props;
  const { references } = instance;
  const idPrefix = `instance-${instance.id}`;

  // The picker and the chip replace each other; focus follows to what took the place of the control.
  const container = useRef<HTMLDivElement>(null);
  const pendingFocus = useRef<{ to: 'chip' | 'input'; parameter: string } | undefined>(undefined);
  const setReference = useCallback(
    (parameter: string, reference: string) => {
      pendingFocus.current = { to: 'chip', parameter };
      onSetReference(parameter, reference);
    },
    [onSetReference],
  );
  const clearReference = useCallback(
    (parameter: string) => {
      pendingFocus.current = { to: 'input', parameter };
      onClearReference(parameter);
    },
    [onClearReference],
  );
  useEffect(() => {
    const target = pendingFocus.current;
    if (!target) return;
    pendingFocus.current = undefined;
    // rjsf renders the replacement in its own update after this one; look for it after that.
    const frame = window.requestAnimationFrame(() => {
      const element =
        target.to === 'chip'
          ? container.current?.querySelector<HTMLElement>(
              `[data-reference-for="${CSS.escape(target.parameter)}"]`,
            )
          : document.getElementById(`${idPrefix}_${target.parameter}`);
      const focusable = element?.matches(FOCUSABLE)
        ? element
        : element?.querySelector<HTMLElement>(FOCUSABLE);
      focusable?.focus();
    });
    return () => window.cancelAnimationFrame(frame);
  }, [references, idPrefix]);

  const keptKey = keptSecrets(instance, version).join('\n');
  const kept = useMemo(() => (keptKey === '' ? [] : keptKey.split('\n')), [keptKey]);
  const schema = useMemo(
    () => formSchema(version.parameters, { references, kept }) as RJSFSchema,
    [version, references, kept],
  );
  const uiSchema = useMemo<UiSchema>(
    () => ({
      ...schemaToUiSchema(version.parameters, {
        references,
        secretParameters: version.secretParameters,
        kept,
      }),
      'ui:submitButtonOptions': { norender: true },
    }),
    [version, references, kept],
  );

  // The messages in words, the same as the server's for the same error (src/core/schema/messages.ts).
  const transformErrors = useCallback(
    (errors: RJSFValidationError[]) =>
      errors.map((error) => {
        const message = formErrorMessage(error, version.parameters);
        return { ...error, message, stack: `${error.property ?? ''} ${message}`.trim() };
      }),
    [version],
  );

  const context = useMemo<ReferenceContext>(() => {
    const candidates = new Map<string, ReferenceCandidate[]>();
    const problems: Record<string, string | undefined> = {};
    const labels = new Map<string, string>();
    for (const [name, property] of parameterSchemas(version.parameters)) {
      labels.set(name, typeof property.title === 'string' ? property.title : humanize(name));
      const target = {
        instance: instance.name,
        parameter: name,
        schema: property as JsonSchema,
        secret: version.secretParameters.includes(name),
      };
      if (property.readOnly !== true && isSchema(property))
        candidates.set(name, referenceCandidates(chosen, target));
      const reference = references[name];
      if (reference !== undefined) problems[name] = referenceProblem(chosen, target, reference);
    }
    return {
      candidates,
      references,
      problems,
      labels,
      setReference,
      clearReference,
    };
  }, [version, chosen, instance.name, references, setReference, clearReference]);

  return (
    <div ref={container}>
      <Form<Values, RJSFSchema, ReferenceContext>
        ref={props.formRef}
        schema={schema}
        uiSchema={uiSchema}
        formData={instance.values}
        formContext={context}
        validator={validator}
        idPrefix={idPrefix}
        fields={FIELDS}
        templates={TEMPLATES}
        extraErrors={props.serverErrors as ErrorSchema<Values> | undefined}
        liveValidate="onChange"
        transformErrors={transformErrors}
        showErrorList={false}
        noHtml5Validate
        onChange={(event) => props.onValues((event.formData ?? {}) as Record<string, JsonValue | undefined>)}
        onSubmit={() => undefined}
        // The errors are shown at their fields; rjsf would also log them to the console.
        onError={() => undefined}
      />
    </div>
  );
}
