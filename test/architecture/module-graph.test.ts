/**
 * The product's static module graph, as esbuild resolves it: the simulated cluster (src/simulator)
 * is not in it. Only src/server/compose.ts reaches the simulator, through a dynamic import taken
 * when no cluster is configured, so a service run against a kubeconfig never loads its code.
 */
import { join } from 'node:path';
import { build, stop as stopEsbuild, type ImportKind, type Metafile } from 'esbuild';
import { bundleOptions } from '../../src/server/build.js';
import { REPO_ROOT } from '../support/examples.js';

/** Every way the product starts: the server, the CLI, the composition function, and the engine and API on their own. */
const PRODUCT_ENTRIES = [
  'src/server/main.ts',
  'src/server/compose.ts',
  'src/cli/main.ts',
  'src/api/app.ts',
  'src/engine/engine.ts',
  'src/engine/service.ts',
  'functions/main.ts',
];

async function moduleGraph(entryPoints: string[]): Promise<Metafile> {
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir: join(REPO_ROOT, 'out', 'module-graph'),
    logLevel: 'silent',
  });
  return result.metafile;
}

/** The files reached from `entries` along edges of the given kinds (paths relative to the repo root). */
function reachable(metafile: Metafile, entries: string[], kinds: readonly ImportKind[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const edge of metafile.inputs[file]?.imports ?? [])
      if (!edge.external && kinds.includes(edge.kind)) pending.push(edge.path);
  }
  return seen;
}

const inSimulator = (path: string) => path.startsWith('src/simulator/');

let product: Metafile;

beforeAll(async () => {
  product = await moduleGraph(PRODUCT_ENTRIES);
}, 60_000);

// esbuild's service process would run as long as the worker
afterAll(() => stopEsbuild());

it('GIVEN the product entry points WHEN their static imports are followed THEN no simulator file is reached', () => {
  // GIVEN every entry is a node of the graph (a path mismatch would make the check below vacuous)
  for (const entry of PRODUCT_ENTRIES) expect(product.inputs).toHaveProperty([entry]);

  // WHEN
  const loaded = reachable(product, PRODUCT_ENTRIES, ['import-statement']);

  // THEN the adapter is there and the simulator is not
  for (const file of ['src/engine/engine.ts', 'src/cluster/index.ts', 'src/cluster/client.ts'])
    expect(loaded.has(file)).toBe(true);
  expect([...loaded].filter(inSimulator)).toEqual([]);
});

it('GIVEN the same graph WHEN dynamic imports are followed too THEN the simulator is reached (the check above can see it)', () => {
  const loaded = reachable(product, PRODUCT_ENTRIES, ['import-statement', 'dynamic-import']);

  expect(loaded.has('src/simulator/index.ts')).toBe(true);
  expect(loaded.has('src/simulator/api-server.ts')).toBe(true);
  expect(loaded.has('src/simulator/argocd-controller.ts')).toBe(true);
});

it('GIVEN the whole graph WHEN edges into src/simulator from outside are listed THEN the only one is compose.ts’s dynamic import', () => {
  const doors = Object.entries(product.inputs).flatMap(([from, input]) =>
    inSimulator(from)
      ? []
      : input.imports
          .filter((edge) => inSimulator(edge.path))
          .map((edge) => ({ from, to: edge.path, kind: edge.kind })),
  );

  expect(doors).toEqual([
    { from: 'src/server/compose.ts', to: 'src/simulator/index.ts', kind: 'dynamic-import' },
  ]);
});

it('GIVEN the server bundled as `npm run build` bundles it WHEN the chunks its entry imports statically are followed THEN none holds a simulator file, and the ones it imports dynamically do', async () => {
  // GIVEN the bundle's outputs (src/server/build.ts), each with the inputs it holds and its imports
  const { metafile } = await build({
    ...bundleOptions({ root: REPO_ROOT, outdir: join(REPO_ROOT, 'out', 'bundle-graph') }),
    absWorkingDir: REPO_ROOT,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const main = 'out/bundle-graph/src/server/main.js';
  expect(metafile.outputs).toHaveProperty([main]);
  const outputsReached = (kinds: readonly string[]) => {
    const seen = new Set<string>();
    const pending = [main];
    for (let output = pending.pop(); output !== undefined; output = pending.pop()) {
      if (seen.has(output)) continue;
      seen.add(output);
      for (const edge of metafile.outputs[output]?.imports ?? [])
        if (!edge.external && kinds.includes(edge.kind)) pending.push(edge.path);
    }
    return seen;
  };
  const inputsOf = (outputs: Set<string>) =>
    [...outputs].flatMap((output) => Object.keys(metafile.outputs[output]?.inputs ?? {}));

  // WHEN
  const loaded = inputsOf(outputsReached(['import-statement']));
  const mayLoad = inputsOf(outputsReached(['import-statement', 'dynamic-import']));

  // THEN what a start loads holds the engine and the cluster adapter but no simulator file
  expect(loaded).toEqual(expect.arrayContaining(['src/engine/engine.ts', 'src/cluster/client.ts']));
  expect(loaded.filter(inSimulator)).toEqual([]);
  // AND the simulator is in what compose.ts's dynamic import loads (the check above can see it)
  expect(mayLoad).toEqual(expect.arrayContaining(['src/simulator/index.ts', 'src/simulator/api-server.ts']));
});

it('GIVEN the core’s browser entry WHEN its graph is built THEN it stays in src/core and imports no package or Node module', async () => {
  const browser = await moduleGraph(['src/core/browser.ts']);

  const files = Object.keys(browser.inputs);
  const external = Object.values(browser.inputs).flatMap((input) =>
    input.imports.filter((edge) => edge.external).map((edge) => edge.path),
  );

  expect(files).toContain('src/core/environment/duration.ts');
  expect(files.filter((file) => !file.startsWith('src/core/'))).toEqual([]);
  expect(external).toEqual([]);
});

/** The packages that `entries` load through their static imports. */
function packagesLoaded(metafile: Metafile, entries: string[]): string[] {
  const packages = [...reachable(metafile, entries, ['import-statement'])].flatMap((file) =>
    (metafile.inputs[file]?.imports ?? [])
      .filter((edge) => edge.external && edge.kind === 'import-statement')
      .map((edge) => edge.path),
  );
  return [...new Set(packages)].sort();
}

it('GIVEN the engine, its service and the harness of its unit tests WHEN their static imports are followed THEN client-node is not loaded, while the server loads it', async () => {
  // The engine reaches the cluster through the ClusterClient port only. The in-memory twin of its
  // unit tests shares files with the adapter (kinds, selectors, errors) but not the adapter itself:
  // client-node is ~1,000 modules, ~0.4 s in each test file that loads it.
  const harness = await moduleGraph(['test/support/engine-harness.ts']);
  expect(harness.inputs).toHaveProperty(['src/engine/engine.ts']);
  expect(harness.inputs).toHaveProperty(['test/support/memory-cluster-client.ts']);

  expect(packagesLoaded(harness, ['test/support/engine-harness.ts'])).not.toContain(
    '@kubernetes/client-node',
  );
  expect(packagesLoaded(product, ['src/engine/engine.ts', 'src/engine/service.ts'])).not.toContain(
    '@kubernetes/client-node',
  );
  // AND the server loads it (the check above can see it)
  expect(packagesLoaded(product, ['src/server/main.ts'])).toContain('@kubernetes/client-node');
});
