#!/usr/bin/env node
/**
 * Entry point: `npm run function -- [--insecure] [--address <host:port>] [--tls-server-certs-dir <dir>] [--debug]`.
 * serve.ts parses those flags (the SDK's), starts the gRPC server and shuts it down on SIGINT/SIGTERM.
 */
import { EnvcatFunction } from './function.js';
import { serveFunction } from './serve.js';

serveFunction(new EnvcatFunction(), { name: 'function-envcat' });
