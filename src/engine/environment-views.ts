/**
 * The shapes the REST API answers with for environments (one, and the list), from the committed
 * request, the engine's derived status, the history (its changes and the phases of each, core
 * environmentHistory) and the catalog: pure, given what the service read.
 */
import {
  environmentHistory,
  expiresAt,
  instanceVersions,
  parseDuration,
  versionWarnings,
  type Catalog,
  type InstanceVersion,
  type JsonValue,
} from '../core/index.js';
import type { EnvironmentStatus, EnvironmentSummary } from '../api/contract.js';
import type { EnvironmentDocument } from './documents.js';
import type { EnvironmentRecord } from './service.js';
import type { EnvironmentStatusView } from './status-board.js';
import { requestVersion } from './update.js';

/** `GET /api/v1/environments/{name}`: the request without secret values, and its status. */
export function environmentRecord(args: {
  document: EnvironmentDocument;
  /** environment.yaml as Git holds it (absent once its deletion removed it). */
  source: string | undefined;
  status: EnvironmentStatusView | undefined;
  commits: EnvironmentStatus['commits'];
  createdAt: string | undefined;
  catalog: Catalog;
}): EnvironmentRecord {
  const { document, source, status, commits, createdAt, catalog } = args;
  const metadata = {
    ...document.metadata,
    ...(createdAt ? { creationTimestamp: createdAt } : {}),
    ...(source === undefined ? {} : { resourceVersion: requestVersion(source) }),
  };
  const versions = instanceVersions({ spec: document.spec, catalog, eligible: offered(catalog) });
  const warnings = versionWarnings(document, catalog);
  const expires = expiry(document.spec?.ttl, createdAt);
  const view = statusView(status, commits);
  const { changes, transitions } = environmentHistory({
    commits,
    status: view,
    ...(expires ? { expiresAt: expires } : {}),
  });
  return {
    ...document,
    metadata,
    status: {
      ...view,
      transitions,
      history: changes,
      versions,
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(expires ? { expiresAt: expires } : {}),
    },
  };
}

/** One item of `GET /api/v1/environments`. */
export function environmentSummary(args: {
  name: string;
  document: EnvironmentDocument | undefined;
  status: EnvironmentStatusView | undefined;
  createdAt: string | undefined;
  catalog: Catalog;
}): EnvironmentSummary {
  const { name, document, status, createdAt, catalog } = args;
  const spec = (document?.spec ?? {}) as Record<string, JsonValue>;
  const catalogs = Array.isArray(spec.catalogs) ? (spec.catalogs as Array<Record<string, JsonValue>>) : [];
  return {
    name,
    ...optional('namespace', spec.namespace),
    ...optional('type', spec.type),
    ...optional('owner', spec.owner),
    ...optional('description', spec.description),
    ...optional('ttl', spec.ttl),
    ...optional('createdAt', createdAt),
    ...optional('expiresAt', expiry(spec.ttl, createdAt)),
    phase: status?.phase ?? 'Creating',
    message: status?.message ?? '',
    instances: instanceSummaries(catalogs, instanceVersions({ spec, catalog, eligible: offered(catalog) })),
  };
}

function statusView(
  status: EnvironmentStatusView | undefined,
  commits: EnvironmentStatus['commits'],
): EnvironmentRecord['status'] {
  if (!status)
    return {
      phase: 'Creating',
      message: 'waiting for the engine',
      conditions: [{ type: 'Ready', status: 'False', reason: 'Creating', message: 'waiting for the engine' }],
      steps: [],
      outputs: {},
      commits,
      observedAt: new Date().toISOString(),
    };
  return {
    phase: status.phase,
    message: status.message,
    conditions: status.conditions,
    steps: status.steps,
    outputs: status.outputs,
    commits,
    ...(status.problems ? { errors: status.problems } : {}),
    observedAt: status.observedAt,
  };
}

/** An update on offer is a version a new request could get: neither deprecated nor yanked. */
function offered(catalog: Catalog): (entry: string, version: string) => boolean {
  return (entry, version) => {
    const state = catalog.state(entry, version);
    return !state.deprecated && !state.yanked;
  };
}

/** creation + ttl as an ISO time (core expiresAt), when both are known and the ttl is a duration. */
function expiry(ttl: JsonValue | undefined, createdAt: string | undefined): string | undefined {
  const end = expiresAt({
    ttlSeconds: typeof ttl === 'string' ? parseDuration(ttl) : undefined,
    createdAt: createdAt === undefined ? undefined : Date.parse(createdAt),
  });
  return end === undefined || Number.isNaN(end) ? undefined : new Date(end).toISOString();
}

function optional(key: string, value: JsonValue | undefined): Record<string, string> {
  return typeof value === 'string' ? { [key]: value } : {};
}

/** The list's instances: each as requested, with its pinned version and the update available. */
function instanceSummaries(
  catalogs: Array<Record<string, JsonValue>>,
  versions: InstanceVersion[],
): EnvironmentSummary['instances'] {
  return catalogs.map((c) => {
    const known = versions.find((v) => v.instance === c.name);
    return {
      name: String(c.name),
      entry: String(c.entry),
      ...(known?.version !== undefined ? { version: known.version } : {}),
      ...(known?.update ? { update: known.update } : {}),
    };
  });
}
