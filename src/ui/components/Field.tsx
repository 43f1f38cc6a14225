/** A labelled form control with help text and error messages tied to it by aria-describedby. */
import { useId, type ReactNode } from 'react';

export interface FieldProps {
  label: string;
  help?: ReactNode;
  errors?: readonly string[];
  required?: boolean;
  className?: string;
  children: (control: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}

export function Field(props: FieldProps) {
  const id = useId();
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const errors = props.errors ?? [];
  const invalid = errors.length > 0;
  const describedBy =
    [props.help ? helpId : '', invalid ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${invalid ? ' has-error' : ''}${props.className ? ` ${props.className}` : ''}`}>
      <div className="label-row">
        <label htmlFor={id}>{props.label}</label>
        {props.required && (
          <span className="required" aria-hidden="true">
            *
          </span>
        )}
      </div>
      {props.children({ id, describedBy, invalid })}
      {invalid && (
        <ul id={errorId} className="field-errors">
          {errors.map((e, i) => (
            <li key={i} className="field-error">
              {e}
            </li>
          ))}
        </ul>
      )}
      {props.help && (
        <p id={helpId} className="help">
          {props.help}
        </p>
      )}
    </div>
  );
}
