/**
 * `envcat env logs <name> [--follow]`: an environment's history as lines, oldest first — the
 * commits made for it, each phase it went through with how long it lasted, and each step's
 * changes — from the environment (GET) or, with --follow, from its event stream until it is deleted.
 */
import type { Command } from 'commander';
import type {
  Commit,
  EnvironmentEvents,
  EnvironmentStatus,
  EnvironmentView,
  StepStatus,
} from '../api/contract.js';
import { ApiClient, withServer, type ServerOptions } from './env-commands.js';
import { EXIT, type Io } from './io.js';
import { humanDuration } from './output.js';

/** Adds `logs` to the `env` command group. */
export function registerEnvLogsCommand(program: Command, io: Io): void {
  const env = program.commands.find((c) => c.name() === 'env');
  if (!env) throw new Error('the env command group must be registered first');
  withServer(
    env
      .command('logs')
      .description(
        "An environment's history, one line per change: commits, `<time> <phase> for <duration>` for each phase it went through, `<time> <phase> <message>` for the one it is in, `<time> <instance>/<part> <phase> <reason>: <message>`",
      )
      .argument('<name>')
      .option('-f, --follow', 'keep printing changes as they happen, until the environment is deleted'),
  ).action(async (name: string, options: ServerOptions & { follow?: boolean }) => {
    const client = new ApiClient(options);
    const path = `/api/v1/environments/${encodeURIComponent(name)}`;
    if (!options.follow) {
      const view = await client.request<EnvironmentView>('GET', path);
      for (const line of logLines(undefined, view.status)) io.stdout(`${line}\n`);
      return;
    }
    let last: EnvironmentStatus | undefined;
    for await (const { event, data } of client.events(`${path}/events`)) {
      if (event === 'status') {
        const status = JSON.parse(data) as EnvironmentEvents['status'];
        for (const line of logLines(last, status)) io.stdout(`${line}\n`);
        last = status;
      } else if (event === 'deleted') {
        io.stdout(`${timeOf(new Date().toISOString())} deleted\n`);
        io.exitCode = EXIT.ok;
        return;
      }
    }
    // The service ended the stream without saying the environment is gone (it stopped, or restarted).
    io.stderr(`envcat: the event stream of ${name} ended before the environment was deleted\n`);
    io.exitCode = EXIT.failed;
  });
}

/**
 * The lines that tell what changed from `before` to `after`. Without a before: everything, oldest
 * first by time — each commit, each phase of each change when it began (and for how long, once it
 * ended: the status's history), the phase it is in now with its message, and each step when it
 * entered its phase. After one: the commits not seen yet, the phase if it or its message changed,
 * and each step that changed phase, reason or message.
 */
export function logLines(before: EnvironmentStatus | undefined, after: EnvironmentStatus): string[] {
  const observed = after.observedAt;
  const stepLine = (step: StepStatus) => {
    const why = step.message ? `${step.reason}: ${step.message}` : step.reason;
    return joined(
      timeOf(step.lastTransitionTime ?? observed),
      `${step.instance}/${step.part}`,
      step.phase,
      why,
    );
  };
  const current = after.transitions?.at(-1);
  const phaseLine = joined(
    timeOf(current?.phase === after.phase ? current.at : observed),
    after.phase,
    after.message,
  );
  if (!before) {
    const lines: Array<{ at: number; text: string }> = [];
    const add = (at: string, text: string) => lines.push({ at: Date.parse(at) || 0, text });
    for (const commit of [...after.commits].reverse()) add(commit.date, commitLine(commit));
    const past = [...(after.history ?? [])].reverse().flatMap((change) => change.phases);
    // The phase it is in now is the last one of the latest change (the status's transitions).
    const ended = current?.phase === after.phase ? past.slice(0, -1) : past;
    for (const span of ended)
      add(
        span.at,
        joined(
          timeOf(span.at),
          span.phase,
          span.seconds === undefined ? '' : `for ${humanDuration(span.seconds * 1000)}`,
        ),
      );
    add(current?.phase === after.phase ? current.at : observed, phaseLine);
    for (const step of after.steps) add(step.lastTransitionTime ?? observed, stepLine(step));
    // By time; at the same second, in the order added (commits, phases, the phase now, steps).
    return lines
      .map((line, i) => ({ ...line, i }))
      .sort((a, b) => a.at - b.at || a.i - b.i)
      .map((line) => line.text);
  }
  const lines: string[] = [];
  const seen = new Set(before.commits.map((c) => `${c.repo}/${c.sha}`));
  const fresh = after.commits.filter((c) => !seen.has(`${c.repo}/${c.sha}`));
  for (const commit of [...fresh].reverse()) lines.push(commitLine(commit));
  if (before.phase !== after.phase || before.message !== after.message) lines.push(phaseLine);
  const earlier = new Map(before.steps.map((s) => [stepKey(s), s]));
  for (const step of after.steps) {
    const was = earlier.get(stepKey(step));
    if (was && was.phase === step.phase && was.reason === step.reason && was.message === step.message)
      continue;
    lines.push(stepLine(step));
  }
  return lines;
}

function commitLine(commit: Commit): string {
  const subject = commit.message.split('\n')[0] ?? '';
  return joined(timeOf(commit.date), 'commit', `${commit.repo}@${commit.sha.slice(0, 7)}`, subject);
}

function stepKey(step: StepStatus): string {
  return `${step.instance}/${step.part}`;
}

function joined(...parts: string[]): string {
  return parts.filter((p) => p !== '').join(' ');
}

/** RFC 3339 to the second, in UTC, as kubectl shows event times; the text as is when it is not a time. */
export function timeOf(text: string): string {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? text : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
