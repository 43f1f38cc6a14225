/**
 * The malloc settings of src/server/malloc-env.ts are the ones every way of running the server
 * sets: `npm start` and the engine Deployment (the bench's engine process imports them).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { MALLOC_ENV } from '../../src/server/malloc-env.js';
import { REPO_ROOT } from '../support/examples.js';

it('npm start sets them before node starts', async () => {
  const { scripts } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const run = scripts.start!.split('&&').at(-1)!.trim();
  for (const [name, value] of Object.entries(MALLOC_ENV)) expect(run).toContain(`${name}=${value} `);
  expect(run).toMatch(/ node dist\/src\/server\/main\.js$/);
});

it('the engine Deployment sets them on its container', async () => {
  const documents = parseAllDocuments(await readFile(join(REPO_ROOT, 'gitops/engine/envcat.yaml'), 'utf8'));
  const deployment = documents.map((d) => d.toJS()).find((d) => d?.kind === 'Deployment') as {
    spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } };
  };
  const env = deployment.spec.template.spec.containers[0]!.env;
  for (const [name, value] of Object.entries(MALLOC_ENV)) expect(env).toContainEqual({ name, value });
});
