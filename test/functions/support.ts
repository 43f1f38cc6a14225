/**
 * Helpers for the composition function's tests: its real gRPC server (the SDK's, in-process on a
 * free port), a real gRPC client, the committed Composition's input, and observed objects as the
 * real controllers report them (src/core/status/judge.ts reads them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  credentials,
  makeGenericClientConstructor,
  ServerCredentials,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  FunctionRunner,
  FunctionRunnerServiceService,
  newGrpcServer,
  RunFunctionRequest,
  RunFunctionResponse,
  type Resource,
} from '@crossplane-org/function-sdk-typescript';
import { pino } from 'pino';
import { parseYamlDocuments } from '../../src/core/index.js';
import { EnvcatFunction } from '../../functions/function.js';
import { REPO_ROOT } from '../support/examples.js';

export type Obj = Record<string, unknown>;

/** The input of the function's step in the committed Composition (the built-in catalog). */
export function compositionInput(): Obj {
  const composition = parseYamlDocuments(
    readFileSync(join(REPO_ROOT, 'compositions', 'composition.yaml'), 'utf8'),
  )[0] as { spec: { pipeline: Array<{ input: Obj }> } };
  const step = composition.spec.pipeline[0];
  if (!step) throw new Error('compositions/composition.yaml has no pipeline step');
  return step.input;
}

/**
 * The client of the FunctionRunnerService, built from the service definition the SDK exports (with
 * its protobuf serializers); the SDK's generated client class is not among its exports.
 */
interface FunctionRunnerClient extends Client {
  runFunction(
    request: RunFunctionRequest,
    options: { deadline: number },
    callback: (error: ServiceError | null, response: RunFunctionResponse) => void,
  ): void;
}
const FunctionRunnerServiceClient = makeGenericClientConstructor(
  FunctionRunnerServiceService,
  'apiextensions.fn.proto.v1.FunctionRunnerService',
) as unknown as new (
  address: string,
  creds: ReturnType<typeof credentials.createInsecure>,
) => FunctionRunnerClient;

export interface RunningFunction {
  address: string;
  run(request: Obj): Promise<RunFunctionResponse>;
  close(): Promise<void>;
}

/** A gRPC client of a function at `address`; `run` takes the request as JSON (proto3 JSON mapping). */
export function functionClient(address: string): Pick<RunningFunction, 'run'> & { close(): void } {
  const client = new FunctionRunnerServiceClient(address, credentials.createInsecure());
  return {
    run: (request) =>
      new Promise((resolve, reject) => {
        client.runFunction(
          RunFunctionRequest.fromJSON(request),
          { deadline: Date.now() + 20_000 },
          (error, rsp) => (error ? reject(error) : resolve(rsp)),
        );
      }),
    close: () => client.close(),
  };
}

/** Waits until a gRPC server answers at `address` (no fixed sleep: the channel's own readiness). */
export function waitForServer(address: string, timeoutMs: number): Promise<void> {
  const client = new FunctionRunnerServiceClient(address, credentials.createInsecure());
  return new Promise<void>((resolve, reject) => {
    client.waitForReady(Date.now() + timeoutMs, (error) => {
      client.close();
      if (error) reject(error);
      else resolve();
    });
  });
}

/** The function's real gRPC server (the SDK's server and runner), in this process on a free port. */
export async function startFunction(handler = new EnvcatFunction()): Promise<RunningFunction> {
  const logger = pino({ level: 'silent' });
  const server = newGrpcServer(new FunctionRunner(handler, logger), logger);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const address = `127.0.0.1:${port}`;
  const client = functionClient(address);
  return {
    address,
    run: client.run,
    close: () =>
      new Promise<void>((resolve) => {
        client.close();
        server.tryShutdown(() => resolve());
      }),
  };
}

/** A response as JSON (enums as their names), the way a test compares it. */
export function responseJson(rsp: RunFunctionResponse): {
  desired?: {
    composite?: { resource?: Obj; ready?: string };
    resources?: Record<string, { resource: Obj; ready?: string }>;
  };
  results?: Array<{ severity: string; message: string; reason?: string }>;
  conditions?: Array<{ type: string; status: string; reason: string; message?: string }>;
} {
  return RunFunctionResponse.toJSON(rsp) as never;
}

export function desiredResources(
  rsp: RunFunctionResponse,
): Record<string, { resource: Obj; ready?: string }> {
  return responseJson(rsp).desired?.resources ?? {};
}

export function compositeStatus(rsp: RunFunctionResponse): Obj {
  return (responseJson(rsp).desired?.composite?.resource?.status ?? {}) as Obj;
}

/** The request Crossplane sends: the observed XR and composed resources, and the step's input. */
export function request(args: { xr: Obj; observed?: Record<string, Obj>; input?: Obj }): Obj {
  const resources: Record<string, { resource: Obj }> = {};
  for (const [key, resource] of Object.entries(args.observed ?? {})) resources[key] = { resource };
  return {
    meta: { tag: 'test' },
    observed: { composite: { resource: args.xr }, resources },
    input: args.input ?? compositionInput(),
  };
}

/** Feeds a response's desired composed resources back as observed, as Crossplane would after applying them. */
export function observedFrom(rsp: RunFunctionResponse): Record<string, Obj> {
  const observed: Record<string, Obj> = {};
  for (const [key, { resource }] of Object.entries(desiredResources(rsp)))
    observed[key] = structuredClone(resource);
  return observed;
}

function conditions(generation: number, list: Array<[string, string, string, string?]>) {
  return list.map(([type, status, reason, message]) => ({
    type,
    status,
    reason,
    ...(message ? { message } : {}),
    observedGeneration: generation,
    lastTransitionTime: '2025-01-01T00:00:00Z',
  }));
}

/** A Workspace as provider-terraform reports it. */
export function workspaceObserved(
  desired: Obj,
  state: 'creating' | 'available' | 'failed',
  outputs: Record<string, unknown> = {},
): Obj {
  const generation = 1;
  const object = structuredClone(desired) as Obj & { metadata: Obj };
  object.metadata = { ...object.metadata, generation, uid: 'ws-uid', resourceVersion: '7' };
  const status: Obj =
    state === 'available'
      ? {
          atProvider: { outputs },
          conditions: conditions(generation, [
            ['Ready', 'True', 'Available'],
            ['Synced', 'True', 'ReconcileSuccess'],
          ]),
        }
      : state === 'creating'
        ? {
            conditions: conditions(generation, [
              ['Ready', 'False', 'Creating'],
              ['Synced', 'True', 'ReconcileSuccess'],
            ]),
          }
        : {
            conditions: conditions(generation, [
              ['Ready', 'False', 'Creating'],
              [
                'Synced',
                'False',
                'ReconcileError',
                // crossplane-runtime reconciler.go errReconcileCreate + provider-terraform errApply
                'create failed: cannot apply Terraform configuration: Error creating DB Instance: quota exceeded',
              ],
            ]),
          };
  return { ...object, status };
}

/** An Application as Argo CD reports it after comparing the source it was given. */
export function applicationObserved(desired: Obj, state: 'progressing' | 'healthy' | 'degraded'): Obj {
  const object = structuredClone(desired) as Obj & { spec: { source: Obj } };
  const health = { progressing: 'Progressing', healthy: 'Healthy', degraded: 'Degraded' }[state];
  return {
    ...object,
    status: {
      sync: {
        status: state === 'progressing' ? 'OutOfSync' : 'Synced',
        revision: String(object.spec.source.targetRevision),
        comparedTo: { source: object.spec.source, destination: (object.spec as Obj).destination },
      },
      health: {
        status: health,
        ...(state === 'degraded' ? { message: 'Deployment app: 0 of 2 available' } : {}),
      },
    },
  };
}

/** The Namespace and isolation objects as the API server and the quota controller report them. */
export function environmentObjectObserved(desired: Obj): Obj {
  const object = structuredClone(desired);
  if (object.kind === 'Namespace') object.status = { phase: 'Active' };
  if (object.kind === 'ResourceQuota') object.status = { hard: (object.spec as Obj).hard, used: {} };
  return object;
}

export type { Resource };
