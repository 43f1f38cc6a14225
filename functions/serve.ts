/**
 * The SDK's serve() but for one thing: the line saying where the server listens names the port it
 * bound. With `--address <host>:0` the OS picks a free port, and that line is how a caller
 * (test/functions/process.test.ts) learns which; serve() logs the address as given, `:0`, and does
 * not pass the bound port on. And a failed bind ends the process (exit 1). The rest is serve()'s: its flags and --help, its logger, the SDK's
 * gRPC server and runner, and the graceful shutdown on SIGINT and SIGTERM.
 */
import {
  FunctionRunner,
  getServerCredentials,
  helpText,
  newGrpcServer,
  parseArgs,
  type FunctionHandler,
} from '@crossplane-org/function-sdk-typescript';
import { pino } from 'pino';

/** The address the server listens on: the one asked for, with the bound port in place of a 0. */
export function listeningAddress(asked: string, port: number): string {
  return asked.endsWith(':0') ? `${asked.slice(0, -1)}${port}` : asked;
}

/** Parses `argv` (the SDK's flags), starts the server, and shuts it down on SIGINT and SIGTERM. */
export function serveFunction(handler: FunctionHandler, options: { name: string; argv?: string[] }): void {
  const { name } = options;
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(options.argv ?? process.argv.slice(2));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${name}: ${message}\nTry '${name} --help' for the available flags.\n`);
    process.exit(2);
  }
  const { help, ...serverOptions } = args;
  if (help) {
    process.stdout.write(`${helpText(name)}\n`);
    process.exit(0);
  }
  const logger = pino({
    level: serverOptions.debug ? 'debug' : 'info',
    formatters: { level: (label) => ({ severity: label.toUpperCase() }) },
  });
  logger.debug({ options: serverOptions }, 'starting function');
  const server = newGrpcServer(new FunctionRunner(handler, logger), logger);
  const credentials = getServerCredentials(serverOptions);
  logger.debug(`serverCredentials type: ${credentials.constructor.name}`);
  server.bindAsync(serverOptions.address, credentials, (error, port) => {
    // serve() logs a failed bind and stays up, serving nothing: a pod that cannot listen must
    // fail instead, so that Kubernetes shows it and restarts it.
    if (error) {
      logger.error(`server bind error: ${error.message}`);
      process.exit(1);
    } else logger.info(`server started and listening on ${listeningAddress(serverOptions.address, port)}`);
  });
  const shutdown = (signal: string) => {
    logger.info(`received ${signal}, shutting down`);
    server.tryShutdown((error) => {
      if (error) {
        logger.error(error, 'error during shutdown');
        process.exit(1);
      }
      logger.info('server shut down');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
