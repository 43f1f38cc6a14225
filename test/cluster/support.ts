/** Starts a SimulatedApiServer on a free port and a real client-node adapter pointed at it. */
import { KubeClusterClient } from '../../src/cluster/client.js';
import { SimulatedApiServer, type SimulatedApiServerOptions } from '../../src/simulator/index.js';
import type { Informer, KubeObject } from '../../src/cluster/types.js';

export interface Harness {
  server: SimulatedApiServer;
  client: KubeClusterClient;
  url: string;
  /** Stops informers created through `track`, then the server. */
  close(): Promise<void>;
  track<T extends Informer>(informer: T): T;
}

export async function startHarness(
  options: SimulatedApiServerOptions = {},
  clientToken: string | undefined = options.token,
): Promise<Harness> {
  const server = new SimulatedApiServer(options);
  const { url } = await server.start();
  const client = KubeClusterClient.forServer(
    { url, ...(clientToken ? { token: clientToken } : {}) },
    { informerBackoff: { initialMs: 20, maxMs: 200 } },
  );
  const informers: Informer[] = [];
  return {
    server,
    client,
    url,
    track: (informer) => {
      informers.push(informer);
      return informer;
    },
    close: async () => {
      for (const informer of informers) informer.stop();
      await server.stop();
    },
  };
}

/** Resolves when `predicate` holds, polling every few milliseconds; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Records an informer's events as `TYPE namespace/name` strings. */
export function recordEvents(informer: Informer): string[] {
  const events: string[] = [];
  for (const type of ['ADDED', 'MODIFIED', 'DELETED'] as const)
    informer.on(type, (object: KubeObject) =>
      events.push(
        `${type} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`,
      ),
    );
  return events;
}

export function workspace(name: string, namespace: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'tf.m.upbound.io/v1beta1',
    kind: 'Workspace',
    metadata: { name, namespace },
    spec: { forProvider: { source: 'Inline', module: 'resource "null_resource" "x" {}' }, ...spec },
  };
}
