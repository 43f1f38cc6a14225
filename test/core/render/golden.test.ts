/**
 * Golden files for the renderers: test/fixtures/render/<case>/ in (environment.yaml, optional
 * outputs.json and options.json), test/golden/render/<case>/ out. `npm run golden:update` rewrites them.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  parseYamlDocument,
  renderEnvironment,
  renderOptions,
  validateEnvironment,
  type OutputValues,
  type SecretPlan,
} from '../../../src/core/index.js';
import { builtInCatalog, REPO_ROOT, TEST_RENDER_OPTIONS } from '../../support/examples.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/render');
const GOLDEN = join(REPO_ROOT, 'test/golden/render');
const UPDATE = process.env.ENVCAT_UPDATE_GOLDEN === '1';

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

/** What the engine would be told to create, without any value. */
function describeSecrets(secrets: SecretPlan[]): string {
  return `${JSON.stringify(
    secrets.map((s) => ({
      namespace: s.namespace,
      name: s.name,
      keys: s.keys.map((k) => ({ key: k.key, from: k.source.kind })),
      tfvars: s.tfvars.map((t) => ({ variable: t.variable, from: t.source.kind })),
    })),
    null,
    2,
  )}\n`;
}

async function render(caseDir: string): Promise<Map<string, string>> {
  const catalog = await builtInCatalog();
  const request = parseYamlDocument(readFileSync(join(caseDir, 'environment.yaml'), 'utf8'));
  const outputsFile = join(caseDir, 'outputs.json');
  const optionsFile = join(caseDir, 'options.json');
  const outputs = existsSync(outputsFile)
    ? (JSON.parse(readFileSync(outputsFile, 'utf8')) as OutputValues)
    : undefined;
  const options = existsSync(optionsFile)
    ? renderOptions({ ...TEST_RENDER_OPTIONS, ...JSON.parse(readFileSync(optionsFile, 'utf8')) })
    : TEST_RENDER_OPTIONS;
  const { environment, plan } = validateEnvironment(request, catalog);
  const result = renderEnvironment({ env: environment, plan, outputs, options });
  const files = new Map<string, string>();
  for (const f of result.files) files.set(`${f.repo}/${f.path}`, f.content);
  files.set(
    'plan.txt',
    `${plan.waves.map((w) => `wave ${w.number} phase ${w.phase}: ${w.steps.join(' ')}`).join('\n')}\n`,
  );
  files.set(
    'pending.txt',
    `${result.pending.map((p) => `${p.step} <- ${p.waitingFor.join(' ')}`).join('\n')}\n`,
  );
  files.set('secrets.json', describeSecrets(result.secrets));
  return files;
}

const cases = readdirSync(FIXTURES).sort();

describe('golden renders', () => {
  it('has fixtures', () => expect(cases.length).toBeGreaterThanOrEqual(5));

  it.each(cases)('%s', async (name) => {
    // GIVEN a fixture WHEN it is rendered
    const files = await render(join(FIXTURES, name));
    const goldenDir = join(GOLDEN, name);
    if (UPDATE) {
      rmSync(goldenDir, { recursive: true, force: true });
      for (const [path, content] of files) {
        mkdirSync(dirname(join(goldenDir, path)), { recursive: true });
        writeFileSync(join(goldenDir, path), content);
      }
    }
    // THEN exactly the golden files come out, byte for byte
    expect([...files.keys()].sort()).toEqual(listFiles(goldenDir));
    for (const [path, content] of files) expect(content).toBe(readFileSync(join(goldenDir, path), 'utf8'));
  });

  it.each(cases)('%s renders the same bytes twice', async (name) => {
    const first = await render(join(FIXTURES, name));
    const second = await render(join(FIXTURES, name));
    expect(second).toEqual(first);
  });
});
