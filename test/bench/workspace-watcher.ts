/**
 * `node --import tsx test/bench/workspace-watcher.ts <api-server-url>`: watches the envcat
 * Workspaces of an API server, as the engine does, and tells its parent when each one turns
 * Ready=True/Available (workspaceState, the engine's own reading), timestamped on arrival. It is a
 * process of its own with nothing else to do, so it reads the watch stream as soon as the server
 * writes it; the benchmark process, busy with the simulated controllers, would read it late.
 */
import { KubeClusterClient } from '../../src/cluster/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { InputError, WORKSPACE_API, workspaceState } from '../../src/core/index.js';
import { sendToParent as send, type RequestMessage } from './engine-host.js';
import { clock } from './engine-support.js';

async function main(): Promise<void> {
  const url = process.argv[2];
  if (!url)
    throw new InputError([{ path: '/argv', message: 'usage: workspace-watcher.ts <api-server-url>' }]);
  const seen = new Set<string>();
  const informer = KubeClusterClient.forServer({ url }).informer(
    { apiVersion: WORKSPACE_API.namespaced, kind: 'Workspace' },
    { labelSelector: 'app.kubernetes.io/managed-by=envcat' },
  );
  const observe = (workspace: KubeObject) => {
    const at = clock();
    const environment = workspace.metadata.labels?.['envcat.io/environment'];
    const instance = workspace.metadata.labels?.['envcat.io/instance'];
    if (!environment || !instance || workspaceState(workspace).phase !== 'Ready') return;
    const key = `${environment}/${instance}`;
    if (seen.has(key)) return;
    seen.add(key);
    send({ type: 'available', environment, instance, at });
  };
  informer.on('ADDED', observe);
  informer.on('MODIFIED', observe);
  await informer.start();
  for (const workspace of informer.list()) observe(workspace);
  process.on('message', (message: RequestMessage<{ op: string }>) => {
    if (message?.type !== 'request') return;
    if (message.request.op === 'clock') send({ type: 'reply', id: message.id, ok: true, value: clock() });
    else send({ type: 'reply', id: message.id, ok: false, error: `unknown request ${message.request.op}` });
  });
  const stop = () => {
    informer.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  send({ type: 'ready' });
}

main().catch((error: unknown) => {
  send({ type: 'fatal', error: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
