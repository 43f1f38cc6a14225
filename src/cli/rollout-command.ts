/**
 * `envcat catalog rollout <entry> --to <version>`: a series of upgrades, one per environment that
 * runs an older version of the entry (core rolloutTargets), one at a time or `--max-parallel N`
 * at once. Each environment is upgraded and followed until it is Ready; the first that is refused,
 * fails or times out stops the rollout (the ones under way are still followed to their end; none
 * is started after), and the command says where, and exits non-zero. An environment deleted while
 * it is upgraded, or one that can no longer be read, is a failure too.
 */
import type { Command } from 'commander';
import semver from 'semver';
import {
  InputError,
  EnvcatError,
  formatProblem,
  parseSelector,
  rolloutTargets,
  selectsLabels,
  type RolloutCandidate,
  type RolloutTarget,
} from '../core/index.js';
import type { EnvironmentList, EnvironmentView, UpdateDryRun } from '../api/contract.js';
import { ApiClient, timeoutOf, withServer, type ServerOptions } from './env-commands.js';
import { EXIT, UsageError, type Io } from './io.js';

interface RolloutOptions extends ServerOptions {
  to: string;
  selector?: string;
  maxParallel: string;
  dryRun?: boolean;
  timeout: string;
}

/** Where a rollout stopped: the environment, and what went wrong there. */
interface Failure {
  environment: string;
  reason: string;
}

export function registerRolloutCommand(catalog: Command, io: Io): void {
  withServer(
    catalog
      .command('rollout')
      .description(
        'Upgrade every environment that runs an older version of an entry to --to, stopping at the first failure',
      )
      .argument('<entry>', 'entry name')
      .requiredOption('--to <version>', 'the version to move to')
      .option(
        '--selector <key=value,...>',
        'only environments whose type, owner, namespace, name or labels match',
      )
      .option('--max-parallel <n>', 'environments upgraded at once', '1')
      .option('--dry-run', 'show what each upgrade would move; change nothing')
      .option('--timeout <duration>', 'how long each environment may take to be Ready', '30m'),
  ).action(async (entry: string, options: RolloutOptions) => {
    if (semver.valid(options.to) === null)
      throw new UsageError(`--to: "${options.to}" is not a version such as 1.2.0`);
    const maxParallel = Number(options.maxParallel);
    if (!Number.isInteger(maxParallel) || maxParallel < 1)
      throw new UsageError(`--max-parallel: "${options.maxParallel}" is not a whole number of at least 1`);
    const timeoutMs = timeoutOf(options.timeout);
    let selector: Record<string, string> = {};
    if (options.selector !== undefined) {
      const parsed = parseSelector(options.selector);
      if ('problem' in parsed) throw new UsageError(`--selector: ${parsed.problem}`);
      selector = parsed.selector;
    }
    const client = new ApiClient(options);
    const targets = rolloutTargets({
      environments: await candidates(client, selectsLabels(selector)),
      entry,
      to: options.to,
      selector,
    });
    if (targets.length === 0) {
      io.stdout(
        `nothing to roll out: no environment${options.selector ? ` matching ${options.selector}` : ''} runs ${entry} older than ${options.to}\n`,
      );
      return;
    }
    io.stdout(
      `${options.dryRun ? 'would roll out' : 'rolling out'} ${entry} ${options.to} to ${targets.length} environment(s), ${maxParallel} at a time: ${targets.map((t) => t.environment).join(', ')}\n`,
    );
    const rollout = new Rollout({ client, io, entry, to: options.to, timeoutMs, total: targets.length });
    const failure = options.dryRun ? await rollout.dryRun(targets) : await rollout.run(targets, maxParallel);
    if (!failure) {
      io.stdout(
        `${options.dryRun ? 'dry run: ' : ''}${entry} ${options.to} rolled out to ${targets.length} environment(s)\n`,
      );
      return;
    }
    const done = rollout.upgraded.length > 0 ? `; upgraded: ${rollout.upgraded.join(', ')}` : '';
    const left = targets.map((t) => t.environment).filter((e) => !rollout.started.has(e));
    io.stderr(
      `envcat: rollout of ${entry} ${options.to} stopped at ${failure.environment}: ${failure.reason}${done}${left.length > 0 ? `; not started: ${left.join(', ')}` : ''}\n`,
    );
    io.exitCode = EXIT.failed;
  });
}

/** The environments as listed, with their labels when the selector needs them. */
async function candidates(client: ApiClient, withLabels: boolean): Promise<RolloutCandidate[]> {
  const list = await client.request<EnvironmentList>('GET', '/api/v1/environments');
  return Promise.all(
    list.items.map(async (item) => {
      const candidate: RolloutCandidate = {
        name: item.name,
        ...(item.namespace !== undefined ? { namespace: item.namespace } : {}),
        ...(item.type !== undefined ? { type: item.type } : {}),
        ...(item.owner !== undefined ? { owner: item.owner } : {}),
        instances: item.instances,
      };
      if (!withLabels) return candidate;
      const view = await client.request<EnvironmentView>('GET', environmentPath(item.name));
      const labels = view.metadata.labels;
      return labels && typeof labels === 'object' && !Array.isArray(labels)
        ? { ...candidate, labels: labels as Record<string, string> }
        : candidate;
    }),
  );
}

class Rollout {
  readonly started = new Set<string>();
  readonly upgraded: string[] = [];
  private done = 0;

  constructor(
    private readonly options: {
      client: ApiClient;
      io: Io;
      entry: string;
      to: string;
      timeoutMs: number;
      total: number;
    },
  ) {}

  /** Each environment in turn, `maxParallel` at once; none starts after the first failure. */
  async run(targets: readonly RolloutTarget[], maxParallel: number): Promise<Failure | undefined> {
    const queue = [...targets];
    let failure: Failure | undefined;
    const worker = async () => {
      for (let target = queue.shift(); target && !failure; target = queue.shift()) {
        const outcome = await this.one(target);
        failure ??= outcome;
      }
    };
    await Promise.all(Array.from({ length: Math.min(maxParallel, targets.length) }, worker));
    return failure;
  }

  async dryRun(targets: readonly RolloutTarget[]): Promise<Failure | undefined> {
    let failure: Failure | undefined;
    for (const target of targets) {
      this.started.add(target.environment);
      for (const { instance } of target.instances) {
        try {
          const dry = await this.upgrade<UpdateDryRun>(target.environment, instance, true);
          const moves = (dry.upgrades ?? []).map((u) => `${u.instance} ${u.entry} ${u.from} → ${u.to}`);
          const files = dry.files.filter((f) => f.change !== 'pending').length;
          this.options.io.stdout(
            `${target.environment}: would upgrade ${moves.join(', ') || 'nothing'} (${files} file(s) change)\n`,
          );
        } catch (error) {
          failure ??= { environment: target.environment, reason: refusal(error) };
          this.options.io.stdout(`${target.environment}: refused: ${refusal(error)}\n`);
        }
      }
    }
    return failure;
  }

  /** Upgrades one environment's instances and follows it until it is Ready; a Failure if not. */
  private async one(target: RolloutTarget): Promise<Failure | undefined> {
    const { io, entry, to } = this.options;
    const name = target.environment;
    this.started.add(name);
    const moves = target.instances.map((i) => `${i.instance} ${entry} ${i.from} → ${to}`).join(', ');
    io.stdout(`${name}: upgrading ${moves}\n`);
    for (const { instance } of target.instances) {
      try {
        await this.upgrade<EnvironmentView>(name, instance, false);
      } catch (error) {
        const what = error instanceof EnvcatError ? 'upgrade refused' : 'upgrade failed';
        return this.finish(name, { environment: name, reason: `${what}: ${refusal(error)}` });
      }
    }
    // Any error while following it (the environment vanished, the service went away) is this
    // environment's failure: with --max-parallel the other workers must see it and start no other,
    // and the ones under way are still followed to their end before the command answers.
    let failure: Failure | undefined;
    try {
      failure = await this.follow(name);
    } catch (error) {
      failure = { environment: name, reason: `lost while following it: ${refusal(error)}` };
    }
    return this.finish(name, failure);
  }

  private finish(name: string, failure: Failure | undefined): Failure | undefined {
    this.done++;
    const count = `[${this.done}/${this.options.total}]`;
    if (failure) this.options.io.stdout(`${count} ${name}: failed: ${failure.reason}\n`);
    else {
      this.upgraded.push(name);
      this.options.io.stdout(`${count} ${name}: Ready\n`);
    }
    return failure;
  }

  private upgrade<T>(name: string, instance: string, dryRun: boolean): Promise<T> {
    return this.options.client.request<T>(
      'POST',
      `${environmentPath(name)}/upgrade${dryRun ? '?dryRun=true' : ''}`,
      {
        body: JSON.stringify({ instance, to: this.options.to }),
        contentType: 'application/json',
      },
    );
  }

  /** Polls the environment until it is Ready (undefined), Failed, Invalid or Deleting, or the timeout passes. */
  private async follow(name: string): Promise<Failure | undefined> {
    const deadline = Date.now() + this.options.timeoutMs;
    for (;;) {
      const view = await this.options.client.request<EnvironmentView>('GET', environmentPath(name));
      const { status } = view;
      if (status.phase === 'Ready') return undefined;
      if (status.phase === 'Deleting')
        return { environment: name, reason: `deleted while it was upgraded (${status.message})` };
      if (status.phase === 'Failed' || status.phase === 'Invalid') {
        const step = status.steps.find((s) => s.phase === 'Failed');
        const where = step
          ? `${step.instance}/${step.part} ${step.phase} (${step.reason})${step.message ? `: ${step.message}` : ''}`
          : `${status.phase}${status.message ? `: ${status.message}` : ''}${(status.errors ?? []).map((p) => `; ${formatProblem(p)}`).join('')}`;
        return { environment: name, reason: where };
      }
      if (Date.now() > deadline)
        return {
          environment: name,
          reason: `not Ready after ${this.options.timeoutMs / 1000}s (${status.phase})`,
        };
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function environmentPath(name: string): string {
  return `/api/v1/environments/${encodeURIComponent(name)}`;
}

/** A refused upgrade in one line: each problem, or the error's message. */
function refusal(error: unknown): string {
  if (error instanceof InputError) return error.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return error instanceof Error ? error.message : String(error);
}
