/** A unified diff, monospace, each line coloured by what it does (added, removed, hunk header). */
import type { ReactNode } from 'react';
import type { FileDiff } from '../../api/contract.js';

function lineClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return 'diff-line diff-file';
  if (line.startsWith('@@')) return 'diff-line diff-hunk';
  if (line.startsWith('+')) return 'diff-line diff-add';
  if (line.startsWith('-')) return 'diff-line diff-del';
  return 'diff-line';
}

export function DiffText(props: { diff: string; label: string }) {
  const lines = props.diff.replace(/\n$/, '').split('\n');
  return (
    <pre className="diff" tabIndex={0} aria-label={props.label}>
      {lines.map((line, i) => (
        <span key={i} className={lineClass(line)}>
          {line}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

const CHANGE_TEXT: Record<FileDiff['change'], string> = {
  added: 'added',
  changed: 'changed',
  removed: 'removed',
  pending: 'written later',
};

/** One file of an update: its path and change, and its diff folded under it. */
export function FileDiffView(props: { file: FileDiff; path: ReactNode }) {
  const { file } = props;
  const badge = <span className={`tag change-${file.change}`}>{CHANGE_TEXT[file.change]}</span>;
  if (!file.diff)
    return (
      <p className="file-name">
        {props.path} {badge}
      </p>
    );
  return (
    <details className="file">
      <summary className="file-name">
        {props.path} {badge}
      </summary>
      <DiffText diff={file.diff} label={`Diff of ${file.path}`} />
    </details>
  );
}
