/**
 * The simulated provider-terraform and Argo CD of the engine latency benchmark, in a process of
 * their own (`node --import tsx test/bench/controllers-process.ts '<ControllersConfig as JSON>'`),
 * on the API server of the benchmark's process, driven over the IPC channel (see engine-host.ts).
 *
 * A real cluster's controllers run apart from its API server. Sharing the API server's event loop,
 * they delayed the Workspace watch events the latency is measured on: once the databases turned
 * Available, the simulated Argo CD's work on the first app commits (reading and rendering their
 * manifests) kept the loop that sends the other Workspaces' events busy for over a second.
 */
import { builtInCatalog } from '../support/examples.js';
import { sendToParent as send, type ControllersRequest, type RequestMessage } from './engine-host.js';
import { GatedControls, discardingLogger, startBenchControllers } from './engine-support.js';

export interface ControllersConfig {
  url: string;
  platformRepoUrl: string;
  appsRepoUrl: string;
  workdir: string;
  defaultDelayMs: number;
  /** Hold the Workspaces of this instance until released (GatedControls). */
  gatedInstance?: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as ControllersConfig;
  const { gatedInstance } = config;
  let gate: GatedControls | undefined;
  const controllers = await startBenchControllers({
    url: config.url,
    platformRepoUrl: config.platformRepoUrl,
    appsRepoUrl: config.appsRepoUrl,
    workdir: config.workdir,
    catalog: await builtInCatalog(),
    defaultDelayMs: config.defaultDelayMs,
    logger: discardingLogger(),
    ...(gatedInstance !== undefined
      ? {
          controls: (annotations) =>
            (gate = new GatedControls(annotations, (ref) => ref.instance === gatedInstance)),
        }
      : {}),
  });
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    controllers.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('disconnect', shutdown);
  const answer = (request: ControllersRequest): unknown => {
    if (!gate) throw new Error(`no gate: the controllers were started without gatedInstance`);
    if (request.op === 'gate-waiting') return gate.waiting;
    gate.release(request.at);
    return true;
  };
  process.on('message', (message: RequestMessage<ControllersRequest>) => {
    if (message?.type !== 'request') return;
    try {
      send({ type: 'reply', id: message.id, ok: true, value: answer(message.request) });
    } catch (error) {
      send({ type: 'reply', id: message.id, ok: false, error: (error as Error).message });
    }
  });
  send({ type: 'ready' });
}

main().catch((error: unknown) => {
  send({ type: 'fatal', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
