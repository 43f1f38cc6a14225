/**
 * Builds the web UI when dist/ui is missing or older than src/ui (`ensureUiBuilt`, as `npm start`
 * does), then prints `{"dir": <dist/ui or null>}`. The portal test runs this in a child process:
 * Vite's bundler (rolldown) refuses its own plugin objects inside jest's VM module context.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ensureUiBuilt } from '../../src/server/ui-build.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dir = await ensureUiBuilt(root, pino({ level: 'warn' }, pino.destination(2)));
process.stdout.write(JSON.stringify({ dir: dir ?? null }));
