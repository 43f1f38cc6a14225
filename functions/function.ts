/**
 * The composition function: typed input from the request, the pure core (via compose.ts), the
 * result applied with the SDK's helpers. Invalid input is a FATAL result naming every offending
 * field; Crossplane then changes nothing and reports it on the XR. Any other error is thrown, and
 * the SDK's FunctionRunner turns it into a FATAL result too.
 */
import {
  fatal,
  getInput,
  getObservedComposedResources,
  getObservedCompositeResource,
  normal,
  Ready,
  Resource,
  setDesiredComposedResources,
  setDesiredCompositeStatus,
  Status,
  to,
  warning,
  type FunctionHandler,
  type Logger,
  type RunFunctionRequest,
  type RunFunctionResponse,
} from '@crossplane-org/function-sdk-typescript';
import { InputError, type Condition } from '../src/core/index.js';
import type { Obj } from './adapt.js';
import { CatalogCache } from './catalog.js';
import { resolveComposite } from './composite.js';
import { compose, type ComposeResult, type CompositeStatus } from './compose.js';
import { parseInput, renderOptionsFor } from './input.js';

/** What a FATAL result says about invalid input: where it is, then each field with its problem. */
export function invalidInputMessage(what: string, error: InputError): string {
  return `${what}: ${error.problems.map((p) => `${p.path || '/'}: ${p.message}`).join('; ')}`;
}

/** Runs `step`; an InputError becomes a FATAL result saying `what` was invalid (and undefined). */
async function orFatal<T>(
  rsp: RunFunctionResponse,
  what: string,
  step: () => T | Promise<T>,
): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    fatal(rsp, invalidInputMessage(what, error));
    setReason(rsp, 'InvalidInput');
    return undefined;
  }
}

function setReason(rsp: RunFunctionResponse, reason: string): void {
  const last = rsp.results[rsp.results.length - 1];
  if (last) last.reason = reason;
}

const CONDITION_STATUS: Record<Condition['status'], Status> = {
  True: Status.STATUS_CONDITION_TRUE,
  False: Status.STATUS_CONDITION_FALSE,
  Unknown: Status.STATUS_CONDITION_UNKNOWN,
};

/** The status fields this function owns; each is replaced, never merged with an older value. */
const STATUS_FIELDS: ReadonlyArray<keyof CompositeStatus> = [
  'phase',
  'message',
  'namespace',
  'steps',
  'outputs',
  'outputSecrets',
  'expiresAt',
];

export class EnvcatFunction implements FunctionHandler {
  private readonly catalogs: CatalogCache;
  private readonly now: () => Date;

  constructor(options: { catalogs?: CatalogCache; now?: () => Date } = {}) {
    this.catalogs = options.catalogs ?? new CatalogCache();
    this.now = options.now ?? (() => new Date());
  }

  async RunFunction(req: RunFunctionRequest, logger?: Logger): Promise<RunFunctionResponse> {
    const rsp = to(req);
    const settings = await orFatal(rsp, "invalid function input (the Composition's pipeline step)", () =>
      parseInput(getInput(req)),
    );
    if (!settings) return rsp;
    const catalog = await orFatal(rsp, 'invalid catalog in the function input', () =>
      this.catalogs.load(settings.catalog),
    );
    if (!catalog) return rsp;
    const xr = getObservedCompositeResource(req)?.resource as Obj | undefined;
    const where = describeXr(xr);
    const resolved = await orFatal(rsp, `invalid Environment ${where}`, () =>
      resolveComposite({ composite: xr, catalog }),
    );
    if (!resolved) return rsp;
    const render = await orFatal(rsp, "invalid function input (the Composition's pipeline step)", () =>
      renderOptionsFor(settings, resolved.placement),
    );
    if (!render) return rsp;

    const observed: Record<string, Obj> = {};
    for (const [key, composed] of Object.entries(getObservedComposedResources(req)))
      if (composed.resource) observed[key] = composed.resource as Obj;
    const result = compose({
      env: resolved.environment,
      plan: resolved.plan,
      placement: resolved.placement,
      render,
      chart: settings.manifestsChart,
      observed,
      ...(resolved.createdAt ? { createdAt: resolved.createdAt } : {}),
      now: this.now(),
    });
    apply(rsp, result);
    logger?.debug(
      { environment: where, phase: result.status.phase, resources: Object.keys(result.resources).length },
      'composed',
    );
    return rsp;
  }
}

function describeXr(xr: Obj | undefined): string {
  const metadata = (xr?.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  const name = typeof metadata.name === 'string' ? metadata.name : '(unnamed)';
  return typeof metadata.namespace === 'string' ? `${metadata.namespace}/${name}` : name;
}

function apply(rsp: RunFunctionResponse, result: ComposeResult): void {
  const desired: Record<string, Resource> = {};
  for (const [key, { object, ready }] of Object.entries(result.resources)) {
    // This function owns these keys: nothing an earlier step left under them is merged in.
    delete rsp.desired?.resources[key];
    desired[key] = Resource.fromJSON({ resource: object, ready: ready ? 'READY_TRUE' : 'READY_FALSE' });
  }
  setDesiredComposedResources(rsp, desired);

  const status = rsp.desired?.composite?.resource?.status as Obj | undefined;
  if (status) for (const field of STATUS_FIELDS) delete status[field];
  setDesiredCompositeStatus({ rsp, status: { ...result.status } });
  // Without this, Crossplane would call the XR ready as soon as phase 1's resources are.
  if (rsp.desired?.composite)
    rsp.desired.composite.ready = result.ready ? Ready.READY_TRUE : Ready.READY_FALSE;

  rsp.conditions = result.conditions.map((c) => ({
    type: c.type,
    status: CONDITION_STATUS[c.status],
    reason: c.reason,
    message: c.message,
  }));
  for (const r of result.results) {
    if (r.severity === 'Warning') warning(rsp, r.message);
    else normal(rsp, r.message);
    setReason(rsp, r.reason);
  }
}
