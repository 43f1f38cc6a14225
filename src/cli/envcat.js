#!/usr/bin/env node
// The `envcat` command. Runs the TypeScript sources through tsx, so `npx envcat` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
