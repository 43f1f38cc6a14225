/** An environment's history: each change asked for, newest first, with the commits made for it. */
import type { Commit } from '../../api/contract.js';
import { shortDuration, shortSha } from '../logic/format.js';
import { changesOf } from '../logic/history.js';

function When(props: { date: string }) {
  const t = Date.parse(props.date);
  if (Number.isNaN(t)) return <span>—</span>;
  return <time dateTime={props.date}>{new Date(t).toLocaleString()}</time>;
}

export function History(props: { commits: readonly Commit[] | undefined }) {
  const changes = changesOf(props.commits ?? []);
  if (changes.length === 0) return <p className="muted">Nothing committed yet.</p>;
  return (
    <ol className="history" aria-label="Changes, newest first">
      {changes.map((change) => (
        <li key={change.commits[0]!.sha} className="history-item">
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
          <ul className="history-commits">
            {change.commits.map((c) => (
              <li key={`${c.repo}:${c.sha}`}>
                <When date={c.date} /> <span className="tag">{c.repo}</span>{' '}
                <code title={c.sha}>{shortSha(c.sha)}</code> <span className="message-cell">{c.message}</span>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ol>
  );
}
