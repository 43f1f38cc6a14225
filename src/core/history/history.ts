/**
 * An environment's history from its commits and its status: each change someone asked for
 * (create, update, upgrade, retry, delete, or a commit made by hand) with the commits the engine
 * then made for it, and the phases the environment went through during each, with how long each
 * lasted.
 *
 * Nothing here is remembered by a process: the phases are replayed, with core's own phase rule
 * (status/phase.ts), from times that outlive a restart. Git gives when the change was asked for and
 * when each step's files were committed (the moment a step starts converging); the controllers'
 * conditions give when each step became Ready or failed (judge.ts Verdict.since, as the status
 * carries it in each step's lastTransitionTime). Those conditions speak of the latest change only,
 * so an earlier change's phases are what its commits tell: the engine commits a wave only once the
 * steps it waits for are Ready, so a later commit of the change bounds when those became Ready,
 * and the end of its last phase is not known.
 */
import type { Part } from '../plan/index.js';
import { phaseOfSteps, type EnvironmentPhase, type StepPhase } from '../status/phase.js';
import { commitKind, committedSteps } from './messages.js';

export interface HistoryCommit {
  repo: 'platform' | 'apps';
  sha: string;
  message: string;
  date: string;
}

/** A phase the environment went through. */
export interface PhaseSpan {
  phase: EnvironmentPhase;
  /** When it entered the phase (ISO 8601). */
  at: string;
  /**
   * How long it stayed, in whole seconds. Absent for the phase it is in now, and for the last phase
   * Git shows of an earlier change (its end is not known).
   */
  seconds?: number;
}

/** A change, newest commit first, and the phases it went through, oldest first. */
export interface HistoryChange {
  /** What was asked for, in words (`Created`, `Updated (ttl)`, `Committed to Git by hand`). */
  title: string;
  /** Who asked, when the commit says. */
  actor?: string;
  /** Its first commit's date (the request) and its last one's. */
  start: string;
  end: string;
  /** From the first commit to the last one made for it; 0 for a single commit. */
  seconds: number;
  /** Newest first. */
  commits: Array<{ repo: HistoryCommit['repo']; sha: string }>;
  phases: PhaseSpan[];
}

/** The status now: what the latest change's phases end with. */
export interface CurrentStatus {
  phase: EnvironmentPhase;
  steps: ReadonlyArray<{ instance: string; part: Part; phase: StepPhase; lastTransitionTime?: string }>;
  observedAt: string;
}

interface Change {
  title: string;
  actor?: string;
  /** Whether it asked for the deletion (a request or a commit by hand that may have removed the file). */
  kind: 'request' | 'engine' | 'hand';
  verb?: string;
  /** Oldest first. */
  commits: Array<HistoryCommit & { at: number }>;
}

/** What one step did during a change. */
interface StepTrack {
  id: string;
  part: Part;
  /** Its files' first and last commits in the change (ms). */
  first?: number;
  last?: number;
  /** It was committed by an earlier change. */
  existedBefore: boolean;
  /** The latest change only: its phase now, and since when. */
  now?: { phase: StepPhase; at?: number };
  /** An earlier change: a later commit of the change shows it was Ready by then. */
  readyBy?: number;
}

function time(date: string | undefined): number | undefined {
  if (date === undefined) return undefined;
  const ms = Date.parse(date);
  return Number.isNaN(ms) ? undefined : ms;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The changes, newest first, each with its phases; and the latest change's phases (the status's
 * transitions), which need the status now.
 */
export function environmentHistory(args: {
  /** Newest first, in both repos, as the status lists them. */
  commits: readonly HistoryCommit[];
  status?: CurrentStatus;
  /** When the ttl deletes it, if known: a deletion not asked for by a commit began then. */
  expiresAt?: string;
}): { changes: HistoryChange[]; transitions: PhaseSpan[] } {
  const changes = groupChanges(args.commits);
  const named: string[][] = changes.map((c) => c.commits.flatMap((commit) => committedSteps(commit.message)));
  const result = changes.map((change, index): HistoryChange => {
    const before = new Set(named.slice(0, index).flat());
    const latest = index === changes.length - 1;
    const phases =
      latest && args.status
        ? currentPhases(change, before, args.status, args.expiresAt)
        : pastPhases(change, before);
    const first = change.commits[0]!;
    const last = change.commits.at(-1)!;
    return {
      title: change.title,
      ...(change.actor !== undefined ? { actor: change.actor } : {}),
      start: first.date,
      end: last.date,
      seconds: Math.max(0, Math.round((last.at - first.at) / 1000)),
      commits: [...change.commits].reverse().map((c) => ({ repo: c.repo, sha: c.sha })),
      phases,
    };
  });
  const transitions = args.status && result.length > 0 ? result.at(-1)!.phases : [];
  return { changes: result.reverse(), transitions };
}

/** Commits in either repo, merged by date; a request or a commit by hand starts a change. */
function groupChanges(commits: readonly HistoryCommit[]): Change[] {
  // The status lists them newest first; reversed, commits in the same second keep their order.
  const oldestFirst = [...commits]
    .reverse()
    .map((c) => ({ ...c, at: time(c.date) ?? 0 }))
    .sort((a, b) => a.at - b.at);
  const changes: Change[] = [];
  for (const commit of oldestFirst) {
    const kind = commitKind(commit.message);
    const current = changes.at(-1);
    if (kind.kind === 'request')
      changes.push({
        title: kind.title,
        actor: kind.actor,
        kind: 'request',
        verb: kind.verb,
        commits: [commit],
      });
    else if (kind.kind === 'hand')
      changes.push({ title: 'Committed to Git by hand', kind: 'hand', commits: [commit] });
    else if (current) current.commits.push(commit);
    else changes.push({ title: 'Reconciled by envcat', kind: 'engine', commits: [commit] });
  }
  return changes;
}

/** Each step the change committed: its first and last commit in it. */
function tracks(change: Change, before: ReadonlySet<string>, ids: Iterable<string>): Map<string, StepTrack> {
  const result = new Map<string, StepTrack>();
  const track = (id: string) => {
    let t = result.get(id);
    if (!t) {
      t = { id, part: id.endsWith('/apps') ? 'apps' : 'infra', existedBefore: before.has(id) };
      result.set(id, t);
    }
    return t;
  };
  for (const id of ids) track(id);
  for (const commit of change.commits)
    for (const id of committedSteps(commit.message)) {
      const t = track(id);
      t.first ??= commit.at;
      t.last = commit.at;
    }
  return result;
}

/** The latest change: replayed from its commits and the steps' transition times now. */
function currentPhases(
  change: Change,
  before: ReadonlySet<string>,
  status: CurrentStatus,
  expiresAt: string | undefined,
): PhaseSpan[] {
  const t0 = change.commits[0]!.at;
  const end = Math.max(t0, time(status.observedAt) ?? t0);
  if (status.phase === 'Invalid') return [{ phase: 'Invalid', at: iso(t0) }];
  if (status.phase === 'Deleting') {
    // Asked for by this change's commit, or else by the ttl running out.
    const expired = time(expiresAt);
    const asked = change.kind === 'hand' || change.verb === 'delete' || change.verb === 'withdraw';
    const at = !asked && expired !== undefined && expired >= t0 && expired <= end ? expired : t0;
    return [{ phase: 'Deleting', at: iso(at) }];
  }
  const steps = tracks(change, before, []);
  for (const s of status.steps) {
    const id = `${s.instance}/${s.part}`;
    const t = steps.get(id) ?? { id, part: s.part, existedBefore: before.has(id) };
    t.now = {
      phase: s.phase,
      ...(time(s.lastTransitionTime) !== undefined ? { at: time(s.lastTransitionTime) } : {}),
    };
    steps.set(id, t);
  }
  // Steps the change committed that the status no longer has (an instance removed) do not count.
  const all = [...steps.values()].filter((t) => t.now !== undefined);
  const events = [t0, ...all.flatMap((t) => [t.first, settledAt(t, t0)])].filter(
    (t): t is number => t !== undefined && t >= t0 && t <= end,
  );
  const phases = replay(events, all, t0);
  if (phases.at(-1)?.phase !== status.phase) phases.push({ phase: status.phase, at: iso(end) });
  return withDurations(phases);
}

/** An earlier change: what its commits tell. */
function pastPhases(change: Change, before: ReadonlySet<string>): PhaseSpan[] {
  const t0 = change.commits[0]!.at;
  if (change.verb === 'delete' || change.verb === 'withdraw') return [{ phase: 'Deleting', at: iso(t0) }];
  const steps = tracks(change, before, before);
  const committed = [...steps.values()].filter((t) => t.first !== undefined);
  if (committed.length === 0) return [];
  const named = change.commits.map((c) => committedSteps(c.message));
  for (const t of committed) {
    // The engine commits what waits for a step only once it is Ready: the first later commit of
    // other steps bounds when it became Ready.
    const last = named.findLastIndex((ids) => ids.includes(t.id));
    const later = named.findIndex((ids, i) => i > last && ids.length > 0);
    if (later >= 0) t.readyBy = change.commits[later]!.at;
  }
  const all = [...steps.values()];
  const events = [t0, ...all.flatMap((t) => [t.first, t.readyBy])].filter(
    (t): t is number => t !== undefined && t >= t0,
  );
  return withDurations(replay(events, all, t0));
}

/** When a step reached the phase it is in now, if that phase is settled (Ready or Failed). */
function settledAt(t: StepTrack, t0: number): number | undefined {
  if (t.now?.phase !== 'Ready' && t.now?.phase !== 'Failed') return undefined;
  // Not before its commit in this change (a condition that did not change keeps an older time).
  return Math.max(t.now.at ?? t.last ?? t0, t.last ?? -Infinity);
}

/**
 * A step's phase at a moment of the change; `start`: at the request itself, before anything that
 * followed it (Git's and Kubernetes' times have one-second resolution, and what the engine did in
 * the request's second came after it).
 */
function phaseAt(t: StepTrack, at: number, t0: number, start: boolean): StepPhase {
  const reached = (time: number) => (start ? time < at : time <= at);
  // Before its commit in this change: a new step is not there yet; one that was is being changed.
  if (t.first !== undefined && !reached(t.first)) return t.existedBefore ? 'Progressing' : 'Pending';
  if (t.now) {
    if (t.now.phase === 'Pending') return 'Pending';
    const settled = settledAt(t, t0);
    return settled !== undefined && reached(settled) ? t.now.phase : 'Progressing';
  }
  if (t.first === undefined) return 'Ready';
  return t.readyBy !== undefined && reached(t.readyBy) ? 'Ready' : 'Progressing';
}

/** The environment's phase at each event, each change of phase once. */
function replay(events: number[], steps: readonly StepTrack[], t0: number): PhaseSpan[] {
  const phases: PhaseSpan[] = [];
  // The request first, then each moment (the request's own second again, for what followed it).
  const moments = [
    { at: t0, start: true },
    ...[...new Set(events)].sort((a, b) => a - b).map((at) => ({ at, start: false })),
  ];
  for (const { at, start } of moments) {
    const phase = phaseOfSteps(steps.map((t) => ({ part: t.part, phase: phaseAt(t, at, t0, start) })));
    if (phases.at(-1)?.phase !== phase) phases.push({ phase, at: iso(at) });
  }
  return phases;
}

/** Each phase but the last lasted until the next began. */
function withDurations(phases: PhaseSpan[]): PhaseSpan[] {
  return phases.map((span, i) => {
    const next = phases[i + 1];
    return next
      ? { ...span, seconds: Math.max(0, Math.round((Date.parse(next.at) - Date.parse(span.at)) / 1000)) }
      : span;
  });
}
