/**
 * An environment's history, as the server derives it (`status.history`): each change asked for,
 * newest first, the phases it went through with how long each lasted, and the commits made for it.
 */
import type { Commit, EnvironmentStatus, HistoryChange, PhaseSpan } from '../../api/contract.js';
import { phaseDuration, shortDuration, shortSha } from '../logic/format.js';
import { phaseLabel } from '../logic/timeline.js';

function When(props: { date: string; time?: boolean }) {
  const t = Date.parse(props.date);
  if (Number.isNaN(t)) return <span>—</span>;
  const d = new Date(t);
  return <time dateTime={props.date}>{props.time ? d.toLocaleTimeString() : d.toLocaleString()}</time>;
}

function Phases(props: { phases: readonly PhaseSpan[]; latest: boolean; title: string }) {
  if (props.phases.length === 0) return null;
  return (
    <ol className="history-phases" aria-label={`Phases of ${props.title}`}>
      {props.phases.map((span, i) => {
        const last = i === props.phases.length - 1;
        return (
          <li key={`${span.phase}-${span.at}`} data-phase={span.phase}>
            <span className="history-phase">{phaseLabel(span.phase)}</span>{' '}
            {span.seconds !== undefined ? (
              <span className="history-duration" title={`from ${new Date(span.at).toLocaleString()}`}>
                {phaseDuration(span.seconds)}
              </span>
            ) : (
              <span
                className="muted"
                title={
                  last && !props.latest
                    ? 'Git keeps when this phase began; its end is not kept once a later change began'
                    : undefined
                }
              >
                {last && props.latest ? 'since' : 'from'} <When date={span.at} time />
              </span>
            )}
          </li>
        );
      })}
    </ol>
  );
}

export function History(props: { status: Pick<EnvironmentStatus, 'commits' | 'history'> }) {
  const changes: readonly HistoryChange[] = props.status.history ?? [];
  const commits = new Map<string, Commit>(props.status.commits.map((c) => [`${c.repo}:${c.sha}`, c]));
  if (changes.length === 0) return <p className="muted">Nothing committed yet.</p>;
  return (
    <ol className="history" aria-label="Changes, newest first">
      {changes.map((change, index) => (
        <li key={`${change.commits[0]?.sha ?? index}`} className="history-item">
          <p className="history-title">
            <strong>{change.title}</strong>
            {change.actor && <span> by {change.actor}</span>} · <When date={change.start} />
            {change.commits.length > 1 && (
              <span className="muted">
                {' '}
                · {change.commits.length} commits over {shortDuration(change.seconds)}
              </span>
            )}
          </p>
          <Phases phases={change.phases} latest={index === 0} title={change.title} />
          <ul className="history-commits">
            {change.commits.map((ref) => {
              const c = commits.get(`${ref.repo}:${ref.sha}`);
              return (
                <li key={`${ref.repo}:${ref.sha}`}>
                  {c && <When date={c.date} />} <span className="tag">{ref.repo}</span>{' '}
                  <code title={ref.sha}>{shortSha(ref.sha)}</code>{' '}
                  {c && <span className="message-cell">{c.message}</span>}
                </li>
              );
            })}
          </ul>
        </li>
      ))}
    </ol>
  );
}
