/** Step 1: the environment's name, namespace (following the name), type, description and ttl. */
import { useState, type Dispatch } from 'react';
import { Field } from '../components/Field.js';
import type { DetailsField } from '../logic/server-errors.js';
import { detailsProblems, type DetailsDraft, type WizardAction } from '../logic/wizard.js';

export function DetailsStep(props: {
  details: DetailsDraft;
  errors: Partial<Record<DetailsField, string[]>>;
  /** Show every client-side problem (after a Next that was refused), not only those of visited fields. */
  showProblems: boolean;
  /** The server is being asked whether the name and namespace are free. */
  checking?: boolean;
  /** Editing a running environment: its name and namespace cannot change. */
  locked?: boolean;
  dispatch: Dispatch<WizardAction>;
}) {
  const { details, dispatch } = props;
  const [visited, setVisited] = useState<ReadonlySet<DetailsField>>(new Set());
  const problems = detailsProblems(details);
  const errorsOf = (field: DetailsField): string[] => {
    const server = props.errors[field] ?? [];
    const local = problems[field];
    const show = local !== undefined && (props.showProblems || visited.has(field));
    return show && !server.includes(local) ? [local, ...server] : server;
  };
  const visit = (field: DetailsField) => () => setVisited((v) => new Set(v).add(field));
  const set = (patch: Partial<Omit<DetailsDraft, 'namespaceEdited'>>) =>
    dispatch({ type: 'setDetails', patch });

  return (
    <div className="form-grid">
      <p className="availability muted field-wide" aria-live="polite">
        {props.checking ? 'Checking that the name and the namespace are free…' : ''}
      </p>
      <Field
        label="Environment name"
        required
        errors={errorsOf('name')}
        help={
          props.locked
            ? 'An environment cannot be renamed.'
            : "Lower-case letters, digits and “-”, up to 63 characters. It names the environment's files in Git."
        }
      >
        {(c) => (
          <input
            id={c.id}
            value={details.name}
            onChange={(e) => set({ name: e.target.value })}
            onBlur={visit('name')}
            readOnly={props.locked}
            aria-describedby={c.describedBy}
            aria-invalid={c.invalid || undefined}
            autoComplete="off"
            spellCheck={false}
            required
          />
        )}
      </Field>
      <Field
        label="Namespace"
        errors={errorsOf('namespace')}
        help={
          props.locked
            ? "An environment's namespace cannot be changed."
            : 'The Kubernetes namespace; it follows the name unless you change it.'
        }
      >
        {(c) => (
          <input
            id={c.id}
            value={details.namespace}
            placeholder={details.name}
            onChange={(e) => set({ namespace: e.target.value })}
            onBlur={visit('namespace')}
            readOnly={props.locked}
            aria-describedby={c.describedBy}
            aria-invalid={c.invalid || undefined}
            autoComplete="off"
            spellCheck={false}
          />
        )}
      </Field>
      <Field
        label="Type"
        errors={errorsOf('type')}
        help="Pre-release for development and test; release for what ships."
      >
        {(c) => (
          <select
            id={c.id}
            value={details.type}
            onChange={(e) => set({ type: e.target.value === 'release' ? 'release' : 'pre-release' })}
            aria-describedby={c.describedBy}
            aria-invalid={c.invalid || undefined}
          >
            <option value="pre-release">Pre-release</option>
            <option value="release">Release</option>
          </select>
        )}
      </Field>
      <Field
        label="Time to live"
        errors={errorsOf('ttl')}
        help="Deleted automatically after this long, e.g. 8h, 24h or 7d. Leave it empty to keep the environment until it is deleted."
      >
        {(c) => (
          <input
            id={c.id}
            value={details.ttl}
            placeholder="24h"
            onChange={(e) => set({ ttl: e.target.value })}
            onBlur={visit('ttl')}
            aria-describedby={c.describedBy}
            aria-invalid={c.invalid || undefined}
            autoComplete="off"
            spellCheck={false}
          />
        )}
      </Field>
      <Field label="Description" className="field-wide" errors={errorsOf('description')}>
        {(c) => (
          <textarea
            id={c.id}
            value={details.description}
            rows={3}
            maxLength={2000}
            onChange={(e) => set({ description: e.target.value })}
            aria-describedby={c.describedBy}
            aria-invalid={c.invalid || undefined}
          />
        )}
      </Field>
    </div>
  );
}
