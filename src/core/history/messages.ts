/**
 * What envcat's commit messages say, read back for an environment's history: a request someone
 * made (`envcat: create environment dev: db, web (by alice)`), or the steps the engine committed
 * (`envcat: dev: wave 1, infrastructure: db (rds-postgres@1.0.0)`). The engine writes the second
 * kind with stepsCommitMessage, so the two cannot drift.
 */
import type { Part } from '../plan/index.js';

/** A request's commit: `envcat: <verb> environment <name>[ (what)][: …] (by <who>)`. */
const REQUEST = /^envcat: ([a-z][a-z0-9. ]*?) environment \S+?(?=[ :]|$)(.*?) \(by ([^)]+)\)\s*$/s;
const ENGINE = /^envcat: /;
const STEPS = /^envcat: [a-z0-9-]+: (?:wave \d+|update), (infrastructure|applications): (.+)$/;

const TITLES: Array<[RegExp, (m: RegExpExecArray, detail: string) => string]> = [
  [/^create$/, () => 'Created'],
  [/^update$/, (_m, detail) => `Updated${detail}`],
  [/^upgrade$/, () => 'Upgraded'],
  [/^roll back$/, () => 'Rolled back'],
  [/^retry$/, () => 'Retried'],
  [/^delete$/, () => 'Deletion requested'],
  [/^withdraw$/, () => 'Withdrawn'],
  [/^set the ttl to (\S+) of$/, (m) => `TTL set to ${m[1]}`],
  [/^remove the ttl of$/, () => 'TTL removed'],
];

export type CommitKind =
  { kind: 'request'; title: string; verb: string; actor: string } | { kind: 'engine' } | { kind: 'hand' };

/** Who made a commit, and for a request, what was asked for in words. */
export function commitKind(message: string): CommitKind {
  const subject = message.split('\n')[0] ?? '';
  const request = REQUEST.exec(subject);
  if (request) {
    const [, verb = '', rest = '', actor = ''] = request;
    // `update environment x (ttl; parameters): db`: the part in parentheses says what changed.
    const what = /^ \(([^)]*)\)/.exec(rest)?.[1];
    const detail = what ? ` (${what})` : '';
    for (const [pattern, title] of TITLES) {
      const m = pattern.exec(verb);
      if (m) return { kind: 'request', title: title(m, detail), verb, actor };
    }
    return { kind: 'request', title: verb.charAt(0).toUpperCase() + verb.slice(1), verb, actor };
  }
  return ENGINE.test(message) ? { kind: 'engine' } : { kind: 'hand' };
}

/** The message of a commit of steps' files: `envcat: <env>: wave <n>|update, <part>: <instance> (<entry>@<version>), …`. */
export function stepsCommitMessage(args: {
  environment: string;
  /** The wave, or an update of steps already committed. */
  wave: number | 'update' | undefined;
  part: Part;
  instances: ReadonlyArray<{ name: string; entry?: string; version?: string }>;
}): string {
  const what = args.wave === 'update' ? 'update' : `wave ${args.wave ?? '?'}`;
  const part = args.part === 'infra' ? 'infrastructure' : 'applications';
  const described = args.instances.map((i) => `${i.name} (${i.entry}@${i.version})`).join(', ');
  return `envcat: ${args.environment}: ${what}, ${part}: ${described}`;
}

/**
 * The steps a commit wrote, from its message (each paragraph of a commit that carried several
 * changes): `<instance>/<part>` ids; none for any other commit.
 */
export function committedSteps(message: string): string[] {
  const ids: string[] = [];
  for (const paragraph of message.split('\n\n')) {
    const m = STEPS.exec(
      paragraph
        .split('\n')[0]!
        .trim()
        .replace(/ \(and \d+ more\)$/, ''),
    );
    if (!m) continue;
    const part: Part = m[1] === 'infrastructure' ? 'infra' : 'apps';
    for (const described of m[2]!.split(', ')) {
      const instance = described.replace(/ \(.*\)$/, '');
      if (instance) ids.push(`${instance}/${part}`);
    }
  }
  return ids;
}
