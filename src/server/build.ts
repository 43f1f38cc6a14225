/**
 * `npm run build`: bundles the TypeScript that runs on Node to dist/ with esbuild: the server
 * (dist/src/server/main.js), the simulated cluster's worker thread (dist/src/simulator/worker.js)
 * and any extra entry points given, with the code they share in chunks under dist/src/chunks/.
 * `npm start` runs the compiled server: the same code as through tsx, without tsx's loader thread
 * and on-the-fly compilation, which cost a long-running process about 90 MB and slow every git
 * process it forks.
 *
 * Bundled, not compiled file by file: Node loads a few large modules much faster than the ~235 of
 * src/ and the ~2,000 of @kubernetes/client-node and Nest, which are bundled in for that reason
 * (see INLINED) while the other packages stay in node_modules. The spawn to the banner went from
 * ~3.0 s to ~1.7 s with the rest of the start's overlap (test/bench/server-start.ts). A dynamic
 * import stays a chunk of its own, loaded only when taken: the simulator is still out of a
 * service's module graph when it runs against a kubeconfig (test/architecture/module-graph.test.ts).
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { packageRoot } from '../install/index.js';

/** Entry points (relative to the package root) always built. */
const ENTRIES = ['src/server/main.ts', 'src/simulator/worker.ts'];

/**
 * Packages bundled in rather than imported from node_modules at run time: ES modules spread over
 * many files, which Node loads one by one (~1,000 each for client-node and for Nest with what it
 * imports).
 */
const INLINED = [
  '@kubernetes/client-node',
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/swagger',
];
/** Imported by our code as well as by inlined packages: one copy, from node_modules. */
const SHARED = ['express', 'rxjs', 'reflect-metadata'];

const packageName = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * The optional peer dependencies of the inlined packages (Nest's @nestjs/microservices,
 * class-validator…): they import them in a try, and so stay imports, which fail at run time when
 * one is not installed, as the package expects.
 */
function optionalPeers(root: string): Set<string> {
  const peers = INLINED.flatMap((name) => {
    const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    return Object.entries(manifest.peerDependenciesMeta ?? {}).flatMap(([peer, meta]) =>
      meta.optional === true && !INLINED.includes(peer) ? [peer] : [],
    );
  });
  return new Set(peers);
}

/**
 * A package import from our code stays external, but for INLINED; the imports of an inlined
 * package's files are bundled, resolved by esbuild from where they are (nested node_modules too),
 * but for SHARED and the optional peer dependencies.
 */
function externalPackages(root: string): Plugin {
  const external = new Set([...SHARED, ...optionalPeers(root)]);
  return {
    name: 'external-packages',
    setup(builder) {
      builder.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const name = packageName(args.path);
        if (external.has(name)) return { external: true };
        if (args.importer.includes('/node_modules/')) return undefined;
        return INLINED.includes(name) ? undefined : { external: true };
      });
    },
  };
}

/** What `compile` hands esbuild (test/architecture/module-graph.test.ts inspects the outcome). */
export function bundleOptions(args: { root: string; outdir: string; entries?: string[] }): BuildOptions {
  return {
    entryPoints: [...ENTRIES, ...(args.entries ?? [])].map((entry) => join(args.root, entry)),
    outdir: args.outdir,
    outbase: args.root,
    // Beside src/server/, so that a path relative to a module (the worker's file, found by
    // src/server/simulator-thread.ts) means the same in a chunk as in its source.
    chunkNames: 'src/chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    plugins: [externalPackages(args.root)],
    // The CommonJS inside the inlined packages requires Node's modules, which an ES module has no
    // `require` for.
    banner: {
      js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);",
    },
    // Errors take their name from their class (src/core/errors), and Nest and Swagger name things after classes.
    keepNames: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: join(args.root, 'tsconfig.json'),
    logLevel: 'warning',
  };
}

/** Builds into `outdir` (default dist/), after removing what an earlier build left in its src/. */
export async function compile(options: { entries?: string[]; outdir?: string } = {}): Promise<string> {
  const root = packageRoot();
  const outdir = options.outdir ?? join(root, 'dist');
  await rm(join(outdir, 'src'), { recursive: true, force: true });
  await build(bundleOptions({ root, outdir, entries: options.entries }));
  return relative(root, outdir) || '.';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entries = process.argv.slice(2);
  const started = Date.now();
  const outdir = await compile({ entries });
  process.stderr.write(
    `compiled src${entries.map((entry) => `, ${entry}`).join('')} to ${outdir}/ in ${Date.now() - started} ms\n`,
  );
}
