/**
 * `npm start`: the service, the engine and the web UI, on the embedded default (local bare repos
 * under .envcat/ and the simulated cluster) unless a kubeconfig and repo URLs are configured.
 */
import { Command } from 'commander';
import { EnvcatError, formatProblem, InputError } from '../core/index.js';
import { loadConfig } from './config.js';
import { createLogger, startEnvcat } from './compose.js';
import { packageRoot } from '../install/index.js';
import { ensureUiBuilt } from './ui-build.js';

const ROOT = packageRoot();

async function run(): Promise<void> {
  const program = new Command('envcat-server')
    .description('envcat service: REST API, web UI and the reconciler')
    .option('--port <port>', 'HTTP port (default $PORT or 8080)')
    .option('--kubeconfig <file>', 'run against the cluster of this kubeconfig instead of the simulated one')
    .option('--data-dir <dir>', 'where local repos and working clones live (default .envcat)')
    .parse(process.argv);
  const flags = program.opts<{ port?: string; kubeconfig?: string; dataDir?: string }>();
  const config = loadConfig(process.env, flags);
  const logger = createLogger(config.logLevel);
  const uiDir = await ensureUiBuilt(ROOT, logger);
  const envcat = await startEnvcat(config, { logger, ...(uiDir ? { uiDir } : {}) });

  const lines = [
    '',
    `envcat is running at ${envcat.url}`,
    envcat.simulated
      ? "  cluster: SIMULATED - envcat's built-in Kubernetes API with simulated Crossplane provider-terraform and Argo CD (not a real cluster)"
      : `  cluster: ${config.kubeconfig ?? 'in-cluster'}`,
    `  platform repo: ${envcat.repoUrls.platform}`,
    `  apps repo:     ${envcat.repoUrls.apps}`,
    envcat.generatedToken
      ? `  admin token:   ${envcat.adminToken}   (generated; set ENVCAT_ADMIN_TOKEN to choose one)`
      : '  admin token:   from ENVCAT_ADMIN_TOKEN',
    uiDir ? `  web UI:        ${envcat.url}/` : '  web UI:        not available (npm run build:ui)',
    `  API docs:      ${envcat.url}/api/docs`,
    '',
    `  try: ENVCAT_ADMIN_TOKEN=${envcat.generatedToken ? envcat.adminToken : '<token>'} npx envcat env create -f catalogs/sample-app/examples/dev-feature-auth.yaml --wait`,
    '',
  ];
  process.stderr.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    envcat.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: { message: (error as Error).message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

run().catch((error: unknown) => {
  if (error instanceof InputError) {
    process.stderr.write(`envcat: ${error.message.split('\n')[0]}\n`);
    for (const p of error.problems) process.stderr.write(`  ${formatProblem(p)}\n`);
  } else if (error instanceof EnvcatError) process.stderr.write(`envcat: ${error.code}: ${error.message}\n`);
  else
    process.stderr.write(
      `envcat: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  process.exit(1);
});
