/**
 * `envcat env create|apply|upgrade|extend|status|list|delete|retry` against a running service (a stable interface: the
 * README's "Command line"). `--wait` follows the environment until it is Ready (exit 0), Failed or
 * Invalid (non-zero) or deleted, so a CI job can create an environment per branch, test against it
 * and delete it.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  ConflictError,
  ExternalError,
  InputError,
  NotFoundError,
  describeInstanceVersion,
  extendedTtl,
  parseDuration,
  parseYamlDocument,
} from '../core/index.js';
import type {
  DeleteAccepted,
  DryRun,
  UpdateDryRun,
  EnvironmentList,
  EnvironmentPhase,
  EnvironmentStatus,
  EnvironmentView,
  TtlPatch,
} from '../api/contract.js';
import { EXIT, fsErrorText, UsageError, type Io } from './io.js';
import { describeStatusWide, environmentRows } from './env-output.js';
import { formatObject, table, withOutput, type OutputFormat } from './output.js';
import { EventStreamParser, type ServerSentEvent } from './sse.js';

export interface ServerOptions {
  server: string;
  token?: string;
}

const TERMINAL_FAILURES: ReadonlySet<EnvironmentPhase> = new Set(['Failed', 'Invalid']);

/** `--server` and `--token`, for commands that talk to the running service. */
export function withServer(command: Command): Command {
  return command
    .option('--server <url>', 'envcat service URL', process.env.ENVCAT_SERVER ?? 'http://localhost:8080')
    .option('--token <token>', 'bearer token (default: $ENVCAT_TOKEN, then $ENVCAT_ADMIN_TOKEN)');
}

export function registerEnvCommands(program: Command, io: Io): void {
  const env = program.command('env').description('Environments, through the running envcat service');

  withServer(
    env
      .command('create')
      .description('Create an environment from a file (YAML or JSON)')
      .requiredOption('-f, --file <file>', 'the Environment document')
      .option('--wait', 'wait until it is Ready; exit non-zero if it fails')
      .option('--timeout <duration>', 'give up waiting after this long (e.g. 90s, 15m)', '30m'),
  ).action(async (options: ServerOptions & { file: string; wait?: boolean; timeout: string }) => {
    const timeoutMs = timeoutOf(options.timeout);
    const body = await readRequestFile(options.file);
    const client = new ApiClient(options, options.file);
    const created = await client.request<EnvironmentView>('POST', '/api/v1/environments', {
      body,
      contentType: 'application/yaml',
    });
    io.stdout(`environment ${created.metadata.name} created${clusterNote(created.status)}\n`);
    if (options.wait)
      io.exitCode = await follow({ client, name: created.metadata.name, io, timeoutMs, until: 'ready' });
  });

  withServer(
    env
      .command('apply')
      .description(
        'Create an environment from a file, or update it to what the file says (the whole request)',
      )
      .requiredOption('-f, --file <file>', 'the Environment document')
      .option('--dry-run', 'show what would change (a unified diff per file) and change nothing')
      .option('--wait', 'wait until it is Ready; exit non-zero if it fails')
      .option('--timeout <duration>', 'give up waiting after this long (e.g. 90s, 15m)', '30m'),
  ).action(
    async (options: ServerOptions & { file: string; dryRun?: boolean; wait?: boolean; timeout: string }) => {
      const timeoutMs = timeoutOf(options.timeout);
      const body = await readRequestFile(options.file);
      const name = requestName(body, options.file);
      const client = new ApiClient(options, options.file);
      const path = `/api/v1/environments/${encodeURIComponent(name)}`;
      const dry = options.dryRun ? '?dryRun=true' : '';
      const send = { body, contentType: 'application/yaml' };
      let created = false;
      let answer: EnvironmentView | UpdateDryRun | DryRun;
      try {
        answer = await client.request<EnvironmentView | UpdateDryRun>('PUT', `${path}${dry}`, send);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        created = true;
        answer = await client.request<EnvironmentView | DryRun>('POST', `/api/v1/environments${dry}`, send);
      }
      if (options.dryRun) {
        io.stdout(describeDryRun(name, created, answer as UpdateDryRun | DryRun));
        return;
      }
      const view = answer as EnvironmentView;
      io.stdout(`environment ${name} ${created ? 'created' : 'updated'}${clusterNote(view.status)}\n`);
      if (options.wait) io.exitCode = await follow({ client, name, io, timeoutMs, until: 'ready' });
    },
  );

  withServer(
    env
      .command('upgrade')
      .description(
        'Move instances to another version of their entry: without --to, each (or --instance) to the newest its range allows; --to an older version is a rollback',
      )
      .argument('<name>')
      .option('--instance <instance>', 'only this instance (needed with --to when there are several)')
      .option('--to <version>', 'exactly this version (outside the range, the range becomes ^<version>)')
      .option(
        '--dry-run',
        'show the versions and what would change (a unified diff per file); change nothing',
      )
      .option('--wait', 'wait until it is Ready; exit non-zero if it fails')
      .option('--timeout <duration>', 'give up waiting after this long (e.g. 90s, 15m)', '30m'),
  ).action(
    async (
      name: string,
      options: ServerOptions & {
        instance?: string;
        to?: string;
        dryRun?: boolean;
        wait?: boolean;
        timeout: string;
      },
    ) => {
      const timeoutMs = timeoutOf(options.timeout);
      const client = new ApiClient(options);
      const path = `/api/v1/environments/${encodeURIComponent(name)}`;
      const body = {
        body: JSON.stringify({
          ...(options.instance !== undefined ? { instance: options.instance } : {}),
          ...(options.to !== undefined ? { to: options.to } : {}),
        }),
        contentType: 'application/json',
      };
      if (options.dryRun) {
        const dry = await client.request<UpdateDryRun>('POST', `${path}/upgrade?dryRun=true`, body);
        io.stdout(describeUpgradeDryRun(name, dry));
        return;
      }
      const before = await client.request<EnvironmentView>('GET', path);
      const after = await client.request<EnvironmentView>('POST', `${path}/upgrade`, body);
      const was = new Map((before.status.versions ?? []).map((v) => [v.instance, v.version]));
      const moved = (after.status.versions ?? []).filter(
        (v) =>
          v.version !== undefined && was.get(v.instance) !== undefined && was.get(v.instance) !== v.version,
      );
      io.stdout(
        moved.length === 0
          ? `environment ${name}: nothing to upgrade (each instance runs the newest version it may move to)\n`
          : `environment ${name}: ${moved.map((v) => `${v.instance} ${v.entry} ${was.get(v.instance) ?? '?'} → ${v.version ?? '?'}`).join(', ')}${clusterNote(after.status)}\n`,
      );
      if (options.wait) io.exitCode = await follow({ client, name, io, timeoutMs, until: 'ready' });
    },
  );

  withServer(
    withOutput(env.command('status').description("Show an environment's status").argument('<name>')),
  ).action(async (name: string, options: ServerOptions & { output?: OutputFormat }) => {
    const client = new ApiClient(options);
    const view = await client.request<EnvironmentView>(
      'GET',
      `/api/v1/environments/${encodeURIComponent(name)}`,
    );
    io.stdout(formatObject(options.output, view) ?? describeStatus(view, options.output === 'wide'));
    io.exitCode = TERMINAL_FAILURES.has(view.status.phase) ? EXIT.failed : EXIT.ok;
  });

  withServer(withOutput(env.command('list').description('List environments'))).action(
    async (options: ServerOptions & { output?: OutputFormat }) => {
      const client = new ApiClient(options);
      const list = await client.request<EnvironmentList>('GET', '/api/v1/environments');
      const printed = formatObject(options.output, list);
      if (printed !== undefined) {
        io.stdout(printed);
        return;
      }
      io.stdout(table(environmentRows(list, options.output === 'wide', Date.now())));
      if (list.cluster === 'simulated')
        io.stdout('(cluster: simulated by envcat, not a real Kubernetes cluster)\n');
    },
  );

  withServer(
    env
      .command('extend')
      .description(
        'Keep an environment for longer: its ttl ends --ttl from now (spec.ttl becomes its age plus that)',
      )
      .argument('<name>')
      .requiredOption('--ttl <duration>', 'how long from now it may live (e.g. 48h, 7d, 1d12h)'),
  ).action(async (name: string, options: ServerOptions & { ttl: string }) => {
    const seconds = parseDuration(options.ttl);
    if (seconds === undefined || seconds === 0)
      throw new UsageError(`--ttl: "${options.ttl}" is not a duration such as 48h, 7d or 1d12h`);
    const client = new ApiClient(options);
    const path = `/api/v1/environments/${encodeURIComponent(name)}`;
    const view = await client.request<EnvironmentView>('GET', path);
    const created = Date.parse(String(view.metadata.creationTimestamp));
    if (Number.isNaN(created))
      throw new ConflictError(`environment ${name}: its creation time is not known yet; try again shortly`);
    const ttl = extendedTtl({ createdAt: created, now: Date.now(), forSeconds: seconds });
    // The resourceVersion read: if the request changed since, the patch is a 409, not a blind write.
    const patch: TtlPatch = { metadata: { resourceVersion: view.metadata.resourceVersion }, spec: { ttl } };
    const after = await client.request<EnvironmentView>('PATCH', path, {
      body: JSON.stringify(patch),
      contentType: 'application/merge-patch+json',
    });
    io.stdout(`environment ${name} extended: ttl ${ttl}, expires at ${after.status.expiresAt ?? '?'}\n`);
  });

  withServer(
    env
      .command('delete')
      .description('Delete an environment: applications, then infrastructure, then its files')
      .argument('<name>')
      .option('--wait', 'wait until it is gone')
      .option('--timeout <duration>', 'give up waiting after this long', '30m'),
  ).action(async (name: string, options: ServerOptions & { wait?: boolean; timeout: string }) => {
    const timeoutMs = timeoutOf(options.timeout);
    const client = new ApiClient(options);
    await client.request<DeleteAccepted>('DELETE', `/api/v1/environments/${encodeURIComponent(name)}`);
    io.stdout(`environment ${name} is being deleted\n`);
    if (options.wait) io.exitCode = await follow({ client, name, io, timeoutMs, until: 'gone' });
  });

  withServer(
    env
      .command('retry')
      .description('Re-run the failed steps of an environment, once their cause is fixed')
      .argument('<name>')
      .option('--wait', 'wait until it is Ready; exit non-zero if it fails again')
      .option('--timeout <duration>', 'give up waiting after this long', '30m'),
  ).action(async (name: string, options: ServerOptions & { wait?: boolean; timeout: string }) => {
    const timeoutMs = timeoutOf(options.timeout);
    const client = new ApiClient(options);
    const view = await client.request<EnvironmentView>(
      'POST',
      `/api/v1/environments/${encodeURIComponent(name)}/retry`,
    );
    io.stdout(`environment ${name}: retrying the failed steps${clusterNote(view.status)}\n`);
    if (options.wait) io.exitCode = await follow({ client, name, io, timeoutMs, until: 'ready' });
  });
}

async function readRequestFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason = fsErrorText(error)?.replace(`${file}: `, '') ?? 'cannot be read';
    throw new InputError([{ file, path: '', message: `cannot read: ${reason}` }]);
  }
}

/** The environment's name from the request file, or a 422-style error naming the file. */
function requestName(body: string, file: string): string {
  let document: unknown;
  try {
    document = parseYamlDocument(body);
  } catch (error) {
    throw new InputError([
      { file, path: '', message: error instanceof Error ? error.message : String(error) },
    ]);
  }
  const name = (document as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  if (typeof name !== 'string' || name === '')
    throw new InputError([{ file, path: '/metadata/name', message: 'is required' }]);
  return name;
}

function describeDryRun(name: string, created: boolean, dry: UpdateDryRun | DryRun): string {
  if (created) {
    const files = (dry as DryRun).files.map(
      (f) => `  ${f.repo}: ${f.path}${f.pending ? ' (after its infrastructure)' : ''}\n`,
    );
    return `environment ${name} would be created, in ${dry.plan.waves.length} wave(s):\n${files.join('')}`;
  }
  const update = dry as UpdateDryRun;
  const secrets = (update.secrets ?? []).map((s) => `${s.instance} (${s.parameters.join(', ')})`);
  const what = [
    ...(update.added.length > 0 ? [`adds ${update.added.join(', ')}`] : []),
    ...(update.removed.length > 0 ? [`removes ${update.removed.join(', ')}`] : []),
    ...(secrets.length > 0 ? [`new secret values for ${secrets.join(', ')}`] : []),
  ];
  const changed = update.files.filter((f) => f.change !== 'pending');
  if (changed.length === 0 && what.length === 0) return `environment ${name}: nothing would change\n`;
  const lines = [`environment ${name} would be updated${what.length > 0 ? ` (${what.join('; ')})` : ''}:`];
  for (const file of update.files) {
    if (file.change === 'pending')
      lines.push(`${file.repo}: ${file.path}: rendered once its infrastructure is Ready`);
    else lines.push(`${file.repo}: ${file.path}: ${file.change}`, (file.diff ?? '').trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

function describeUpgradeDryRun(name: string, dry: UpdateDryRun): string {
  const upgrades = dry.upgrades ?? [];
  if (upgrades.length === 0)
    return `environment ${name}: nothing to upgrade (each instance runs the newest version it may move to)\n`;
  const lines = [`environment ${name} would be upgraded:`];
  for (const u of upgrades)
    lines.push(
      `  ${u.instance}: ${u.entry} ${u.from} → ${u.to}${u.reference ? ` (entry ${u.reference.from} becomes ${u.reference.to})` : ''}`,
    );
  for (const file of dry.files) {
    if (file.change === 'pending')
      lines.push(`${file.repo}: ${file.path}: rendered once its infrastructure is Ready`);
    else lines.push(`${file.repo}: ${file.path}: ${file.change}`, (file.diff ?? '').trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

export function timeoutOf(text: string): number {
  const seconds = parseDuration(text);
  if (seconds === undefined)
    throw new UsageError(`--timeout: "${text}" is not a duration such as 90s or 15m`);
  return seconds * 1000;
}

function clusterNote(status: EnvironmentStatus | undefined): string {
  return status?.cluster === 'simulated' ? ' (cluster: simulated)' : '';
}

/** Polls the environment, printing each change: a rewritten line on a terminal, plain lines otherwise. */
async function follow(args: {
  client: ApiClient;
  name: string;
  io: Io;
  timeoutMs: number;
  until: 'ready' | 'gone';
  intervalMs?: number;
}): Promise<number> {
  const { client, name, io, until } = args;
  const deadline = Date.now() + args.timeoutMs;
  let last = '';
  const tty = io.isTTY === true;
  for (;;) {
    let view: EnvironmentView | undefined;
    try {
      view = await client.request<EnvironmentView>('GET', `/api/v1/environments/${encodeURIComponent(name)}`);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      if (until === 'gone') {
        io.stdout(`${tty ? '\n' : ''}environment ${name} deleted\n`);
        return EXIT.ok;
      }
      throw error;
    }
    const line = progressLine(view.status);
    if (line !== last) {
      io.stdout(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      last = line;
    }
    if (until === 'ready' && view.status.phase === 'Ready') {
      if (tty) io.stdout('\n');
      io.stdout(describeStatus(view));
      return EXIT.ok;
    }
    if (until === 'ready' && TERMINAL_FAILURES.has(view.status.phase)) {
      if (tty) io.stdout('\n');
      io.stderr(describeStatus(view));
      return view.status.phase === 'Invalid' ? EXIT.invalid : EXIT.failed;
    }
    if (Date.now() > deadline) {
      if (tty) io.stdout('\n');
      io.stderr(`envcat: timed out waiting for ${name} (phase ${view.status.phase})\n`);
      return EXIT.failed;
    }
    await new Promise((resolve) => setTimeout(resolve, args.intervalMs ?? 1000));
  }
}

function progressLine(status: EnvironmentStatus): string {
  const steps = status.steps;
  const ready = steps.filter((s) => s.phase === 'Ready').length;
  return `${status.phase} (${ready}/${steps.length} steps ready)${status.message ? `: ${status.message}` : ''}`;
}

function describeStatus(view: EnvironmentView, wide = false): string {
  if (wide) return describeStatusWide(view, Date.now());
  const { status } = view;
  const lines = [
    `${view.metadata.name}: ${status.phase}${status.message ? ` - ${status.message}` : ''}${clusterNote(status)}`,
  ];
  for (const step of status.steps)
    lines.push(
      `  ${step.instance}/${step.part}: ${step.phase} (${step.reason})${step.message ? ` ${step.message}` : ''}`,
    );
  for (const version of status.versions ?? []) lines.push(`  ${describeInstanceVersion(version)}`);
  for (const [instance, outputs] of Object.entries(status.outputs))
    for (const [key, value] of Object.entries(outputs))
      lines.push(`  output ${instance}.${key} = ${JSON.stringify(value)}`);
  for (const problem of status.errors ?? [])
    lines.push(`  ${problem.file ?? ''}#${problem.path}: ${problem.message}`);
  return `${lines.join('\n')}\n`;
}

export class ApiClient {
  private readonly base: string;
  private readonly token: string | undefined;

  constructor(
    options: ServerOptions,
    /** The file a 422's pointers refer to. */
    private readonly file?: string,
    /** Where a file a 422 names (relative to what was sent) is on this machine. */
    private readonly localFile?: (file: string) => string,
  ) {
    this.base = options.server.replace(/\/+$/, '');
    this.token = options.token ?? process.env.ENVCAT_TOKEN ?? process.env.ENVCAT_ADMIN_TOKEN;
  }

  async request<T = unknown>(
    method: string,
    path: string,
    options: { body?: string; contentType?: string } = {},
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(options.contentType ? { 'content-type': options.contentType } : {}),
        },
        ...(options.body !== undefined ? { body: options.body } : {}),
      });
    } catch (error) {
      throw new ExternalError(
        `cannot reach the envcat service at ${this.base}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    const body = text ? (safeJson(text) as Record<string, unknown> | undefined) : undefined;
    if (response.ok) return body as T;
    throw this.failure(method, path, response, body);
  }

  /**
   * `GET` a server-sent event stream (an environment's events): each event as it arrives, until the
   * service ends the stream. Errors before the stream starts are those of `request`.
   */
  async *events(path: string): AsyncGenerator<ServerSentEvent> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        headers: {
          accept: 'text/event-stream',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
      });
    } catch (error) {
      throw new ExternalError(
        `cannot reach the envcat service at ${this.base}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (!response.ok || !response.body) {
      const text = await response.text();
      throw this.failure(
        'GET',
        path,
        response,
        text ? (safeJson(text) as Record<string, unknown>) : undefined,
      );
    }
    const parser = new EventStreamParser();
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield* parser.push(decoder.decode(value, { stream: true }));
      }
    } finally {
      // The caller stopped reading (or the stream ended): let the connection go.
      await reader.cancel().catch(() => undefined);
    }
  }

  private failure(
    method: string,
    path: string,
    response: Response,
    body: Record<string, unknown> | undefined,
  ): Error {
    const message =
      typeof body?.message === 'string' ? body.message : `${response.status} ${response.statusText}`;
    const errors = Array.isArray(body?.errors)
      ? (body.errors as Array<{ file?: string; path?: string; message?: string }>)
      : [];
    if (response.status === 422)
      return new InputError(
        errors.map((e) => ({
          ...(e.file && this.localFile
            ? { file: this.localFile(e.file) }
            : this.file
              ? { file: this.file }
              : {}),
          path: e.path ?? '',
          message: e.message ?? '',
        })),
      );
    if (response.status === 404) return new NotFoundError(message);
    if (response.status === 409) return new ConflictError(message, { path: errors[0]?.path ?? '' });
    return new ExternalError(`${method} ${path}: ${response.status}: ${message}`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}
