/** Small shared pieces: badges, alerts, loading and empty states. */
import type { ReactNode } from 'react';
import type { ApiError } from '../api/client.js';
import type { EntryType, EnvironmentPhase } from '../../api/contract.js';
import { ENTRY_TYPE_LABEL } from '../logic/format.js';
import { phaseLabel, phaseTone, type Tone } from '../logic/timeline.js';

export function Badge(props: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${props.tone}`} title={props.title}>
      {props.children}
    </span>
  );
}

export function PhaseBadge(props: { phase: EnvironmentPhase }) {
  return <Badge tone={phaseTone(props.phase)}>{phaseLabel(props.phase)}</Badge>;
}

export function TypeBadge(props: { type: EntryType }) {
  return <span className={`type-badge type-${props.type}`}>{ENTRY_TYPE_LABEL[props.type]}</span>;
}

/** An error from the API, with the problems it lists; `role="alert"` so it is announced. */
export function ErrorAlert(props: { error: ApiError; title?: string; action?: ReactNode }) {
  const { error } = props;
  const problems = error.problems.filter((p) => p.message !== error.message);
  return (
    <div className="alert alert-error" role="alert">
      <p className="alert-title">{props.title ?? error.message}</p>
      {props.title && <p>{error.message}</p>}
      {problems.length > 0 && (
        <ul>
          {problems.map((p, i) => (
            <li key={i}>
              {p.path && <code>{p.path}</code>} {p.message}
            </li>
          ))}
        </ul>
      )}
      {props.action}
    </div>
  );
}

export function Loading(props: { label: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {props.label}
    </p>
  );
}

export function Empty(props: { children: ReactNode }) {
  return <div className="empty">{props.children}</div>;
}
