/** The phase timeline and the step table of an environment. */
import { Fragment } from 'react';
import type { Condition, EnvironmentStatus } from '../../api/contract.js';
import { stepRows, timeline, type StepRow, type TimelineItem } from '../logic/timeline.js';
import { Badge } from './common.js';

const STATE_TEXT: Record<TimelineItem['state'], string> = {
  done: 'done',
  current: 'in progress',
  failed: 'failed',
  upcoming: 'not started',
};

const STATE_ICON: Record<TimelineItem['state'], string> = {
  done: '✓',
  current: '●',
  failed: '✕',
  upcoming: '○',
};

/**
 * Kubernetes reasons and condition types are CamelCase words (`ProvisioningInfrastructure`); in a
 * narrow column they may break between their parts instead of pushing the table wider.
 */
function CamelCase(props: { text: string }) {
  const parts = props.text.split(/(?<=[a-z0-9])(?=[A-Z])/);
  return (
    <>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {i > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </>
  );
}

export function PhaseTimeline(props: {
  status: Pick<EnvironmentStatus, 'phase' | 'message' | 'steps' | 'conditions'>;
  /** The furthest deletion stage shown so far (see timeline()). */
  deletionFloor?: number;
}) {
  const { mode, items } = timeline(props.status, { deletionFloor: props.deletionFloor ?? 0 });
  return (
    <ol
      className={`timeline timeline-${mode}`}
      aria-label={mode === 'deleting' ? 'Deletion progress' : 'Phases'}
    >
      {items.map((item) => (
        <li
          key={item.key}
          className={`timeline-item timeline-${item.state}`}
          aria-current={item.state === 'current' || item.state === 'failed' ? 'step' : undefined}
        >
          <span className="timeline-icon" aria-hidden="true">
            {STATE_ICON[item.state]}
          </span>
          <span className="timeline-text">
            <span className="timeline-label">{item.label}</span>
            <span className="visually-hidden">: {STATE_TEXT[item.state]}</span>
            {item.message && <span className="timeline-message">{item.message}</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}

export function StepTable(props: { steps: EnvironmentStatus['steps']; deleting?: boolean }) {
  const steps = stepRows(props.steps, { deleting: props.deleting === true });
  if (steps.length === 0)
    return (
      <p className="muted">
        {props.deleting ? 'Every step is removed; the environment files go last.' : 'No steps yet.'}
      </p>
    );
  return (
    <div className="table-wrap">
      <table className="responsive-table">
        <caption className="visually-hidden">Steps: infrastructure first, then applications</caption>
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Part</th>
            <th scope="col">Phase</th>
            <th scope="col">Reason</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((row: StepRow) => (
            <tr key={row.id}>
              <th scope="row" data-label="Instance" className="mono">
                {row.instance}
              </th>
              <td data-label="Part">{row.partLabel}</td>
              <td data-label="Phase">
                <Badge tone={row.tone}>{row.phaseText}</Badge>
              </td>
              <td data-label="Reason">{row.reason ? <CamelCase text={row.reason} /> : '—'}</td>
              <td data-label="Message" className="message-cell">
                {row.message || '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ConditionTable(props: { conditions: Condition[] }) {
  if (props.conditions.length === 0) return <p className="muted">No conditions reported.</p>;
  return (
    <div className="table-wrap">
      <table className="responsive-table">
        <caption className="visually-hidden">Conditions</caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {props.conditions.map((c) => (
            <tr key={c.type}>
              <th scope="row" data-label="Type">
                <CamelCase text={c.type} />
              </th>
              <td data-label="Status">
                <Badge tone={c.status === 'True' ? 'ok' : c.reason === 'Failed' ? 'error' : 'neutral'}>
                  {c.status}
                </Badge>
              </td>
              <td data-label="Reason">{c.reason ? <CamelCase text={c.reason} /> : '—'}</td>
              <td data-label="Message" className="message-cell">
                {c.message || '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
