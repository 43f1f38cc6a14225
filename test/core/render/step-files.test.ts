/**
 * stepFiles: the paths a step writes, known before its content is (a dry run lists them for the
 * steps that wait for outputs). They must be exactly the paths renderStep writes once it can.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseYamlDocument,
  renderEnvironment,
  renderStep,
  stepFiles,
  validateEnvironment,
  type OutputValues,
} from '../../../src/core/index.js';
import { builtInCatalog, REPO_ROOT, TEST_RENDER_OPTIONS } from '../../support/examples.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/render');

async function load(name: string) {
  const dir = join(FIXTURES, name);
  const request = parseYamlDocument(readFileSync(join(dir, 'environment.yaml'), 'utf8'));
  const outputs = JSON.parse(readFileSync(join(dir, 'outputs.json'), 'utf8')) as OutputValues;
  return { ...validateEnvironment(request, await builtInCatalog()), outputs };
}

describe('stepFiles', () => {
  it.each(['domain-example', 'hybrid-pgadmin', 'vpc-then-database'])(
    'lists what renderStep writes, for every step of %s',
    async (name) => {
      // GIVEN a fixture whose outputs are all known
      const { environment, plan, outputs } = await load(name);
      for (const step of plan.steps) {
        // WHEN the step is rendered
        const rendered = renderStep({ env: environment, step, outputs, options: TEST_RENDER_OPTIONS });
        // THEN its files are the listed ones, in the same order
        expect(stepFiles(environment, step)).toEqual(
          rendered.files.map((f) => ({ repo: f.repo, path: f.path })),
        );
      }
    },
  );

  it('is what a render without outputs lists for the steps it leaves pending', async () => {
    // GIVEN an environment whose apps need the database's outputs
    const { environment, plan } = await load('domain-example');
    // WHEN only phase 1 is rendered
    const result = renderEnvironment({ env: environment, plan, options: TEST_RENDER_OPTIONS });
    // THEN each pending step lists its files, manifests included
    expect(result.pending.length).toBeGreaterThan(0);
    for (const pending of result.pending) {
      const step = plan.steps.find((s) => s.id === pending.step)!;
      expect(pending.files).toEqual(stepFiles(environment, step));
    }
    expect(result.pending.find((p) => p.step === 'app/apps')?.files).toEqual(
      expect.arrayContaining([
        { repo: 'apps', path: 'environments/dev-feature-auth/apps/app.yaml' },
        { repo: 'apps', path: 'environments/dev-feature-auth/apps/app/deployment.yaml' },
      ]),
    );
  });
});
