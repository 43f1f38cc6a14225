/**
 * An environment's history from the commits its status lists: each change someone asked for
 * (create, update, upgrade, retry, delete: the commits envcat makes for a request end in
 * `(by <who>)`), with the commits the engine then made for it, newest first, and how long it took
 * from the request's commit to the last commit made for it.
 */
import type { Commit } from '../../api/contract.js';

export interface Change {
  /** What was asked for, in words (`Created`, `Updated (ttl)`, `Committed to Git by hand`). */
  title: string;
  /** Who asked, when the commit says. */
  actor?: string;
  /** The first commit's date (the request), and the last one made for it. */
  start: string;
  end: string;
  /** From the request's commit to the last commit made for it; 0 for a single commit. */
  seconds: number;
  /** Newest first; the first of the change is the last here. */
  commits: Commit[];
}

const REQUEST =
  /^envcat: (create|update|upgrade|retry|delete|withdraw) environment \S+(.*?) \(by ([^)]+)\)\s*$/s;
const ENGINE = /^envcat: /;

const VERB: Record<string, string> = {
  create: 'Created',
  update: 'Updated',
  upgrade: 'Upgraded',
  retry: 'Retried',
  delete: 'Deletion requested',
  withdraw: 'Withdrawn',
};

function time(commit: Commit): number {
  const t = Date.parse(commit.date);
  return Number.isNaN(t) ? 0 : t;
}

function detailOf(verb: string, rest: string): string {
  // `update environment x (ttl; parameters): db, web`: the part in parentheses says what changed.
  const what = /^ \(([^)]*)\)/.exec(rest)?.[1];
  return verb === 'update' && what ? ` (${what})` : '';
}

/** The changes, newest first. Commits in either repo are merged by date. */
export function changesOf(commits: readonly Commit[]): Change[] {
  // The status lists them newest first; reversed, commits in the same second keep their order.
  const oldestFirst = [...commits].reverse().sort((a, b) => time(a) - time(b));
  const changes: Array<Omit<Change, 'seconds' | 'start' | 'end'>> = [];
  for (const commit of oldestFirst) {
    const request = REQUEST.exec(commit.message.split('\n')[0] ?? '');
    const current = changes.at(-1);
    if (request) {
      const [, verb = '', rest = '', actor] = request;
      changes.push({ title: `${VERB[verb] ?? verb}${detailOf(verb, rest)}`, actor, commits: [commit] });
    } else if (!ENGINE.test(commit.message)) {
      changes.push({ title: 'Committed to Git by hand', commits: [commit] });
    } else if (current) {
      current.commits.push(commit);
    } else {
      changes.push({ title: 'Reconciled by envcat', commits: [commit] });
    }
  }
  return changes
    .map((change) => {
      const first = change.commits[0]!;
      const last = change.commits.at(-1)!;
      return {
        ...change,
        start: first.date,
        end: last.date,
        seconds: Math.max(0, (time(last) - time(first)) / 1000),
        commits: [...change.commits].reverse(),
      };
    })
    .reverse();
}
