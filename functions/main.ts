#!/usr/bin/env node
/**
 * Entry point: `npm run function -- [--insecure] [--address <host:port>] [--tls-server-certs-dir <dir>] [--debug]`.
 * The SDK's serve() parses those flags, starts the gRPC server and shuts it down on SIGINT/SIGTERM.
 */
import { serve } from '@crossplane-org/function-sdk-typescript';
import { EnvcatFunction } from './function.js';

serve(new EnvcatFunction(), { name: 'function-envcat' });
