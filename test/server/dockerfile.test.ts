/**
 * The engine's container image, src/server/Dockerfile. There is no Docker here, so the image is not
 * built; instead this checks what would make it fail or run wrongly:
 * - its structure: stages, a non-root numeric USER (the Deployment's uid), production dependencies
 *   only in the final stage, the malloc variables, the health check, the command;
 * - that everything it COPYs from the context exists and is not left out by its .dockerignore;
 * - that its build stage's RUN steps, run the same way on a copy of the same context, produce the
 *   file its CMD runs, that this compiled server loads (`--help`), and that what it imports at
 *   run time is in package.json's `dependencies` (all the final stage has);
 * - that the engine Deployment and the README use the image the build command tags.
 */
import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { build, stop as stopEsbuild } from 'esbuild';
import { parseAllDocuments } from 'yaml';
import { MALLOC_ENV } from '../../src/server/malloc-env.js';
import { REPO_ROOT } from '../support/examples.js';
import { envOf, ignoredBy, instructionsOf, parseDockerfile, type Stage } from './dockerfile-parse.js';

jest.setTimeout(180_000);

const DOCKERFILE = 'src/server/Dockerfile';
const TEXT = readFileSync(join(REPO_ROOT, DOCKERFILE), 'utf8');
const IGNORE = readFileSync(join(REPO_ROOT, `${DOCKERFILE}.dockerignore`), 'utf8');
const STAGES = parseDockerfile(TEXT);
const FINAL = STAGES.at(-1) as Stage;
const PACKAGE = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
};

interface Container {
  image: string;
  ports: Array<{ containerPort: number }>;
  env: Array<{ name: string; value?: string }>;
  readinessProbe: { httpGet: { path: string } };
  livenessProbe: { httpGet: { path: string } };
}
const DEPLOYMENT = parseAllDocuments(readFileSync(join(REPO_ROOT, 'gitops/engine/envcat.yaml'), 'utf8'))
  .map((d) => d.toJS() as { kind?: string })
  .find((d) => d?.kind === 'Deployment') as {
  spec: {
    template: {
      spec: { securityContext: { runAsUser: number; runAsNonRoot: boolean }; containers: Container[] };
    };
  };
};
const CONTAINER = DEPLOYMENT.spec.template.spec.containers[0] as Container;

/** The image tag of the documented build command (`docker build -f src/server/Dockerfile -t <tag> .`). */
function buildTag(text: string): string | undefined {
  return /docker build -f src\/server\/Dockerfile -t (\S+) \./.exec(text)?.[1];
}

function stage(name: string): Stage {
  const found = STAGES.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name} in ${DOCKERFILE}`);
  return found;
}

/** Where a stage's relative paths are: its last WORKDIR before the instruction (or /). */
function workdir(s: Stage): string {
  return instructionsOf(s, 'WORKDIR').at(-1)?.words[0] ?? '/';
}

describe(`${DOCKERFILE}: structure`, () => {
  it('is multi-stage: the build, the production dependencies, and a runtime stage', () => {
    expect(STAGES.map((s) => s.name)).toEqual(['build', 'deps', '2']);
    // GIVEN the same Node base everywhere (the function's image uses the same major version)
    const functionBase = /FROM (node:\d+)/.exec(
      readFileSync(join(REPO_ROOT, 'functions/Dockerfile'), 'utf8'),
    )?.[1];
    for (const s of STAGES) expect(s.base.split('-')[0]).toBe(functionBase);
  });

  it('runs as a non-root numeric user, the uid the Deployment runs as', () => {
    const users = instructionsOf(FINAL, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = (users[0]?.words[0] ?? '').split(':');
    expect(uid).toMatch(/^[1-9]\d*$/);
    expect(gid).toMatch(/^[1-9]\d*$/);
    expect(Number(uid)).toBe(DEPLOYMENT.spec.template.spec.securityContext.runAsUser);
    expect(DEPLOYMENT.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    // AND nothing runs as root after the switch
    const index = FINAL.instructions.findIndex((i) => i.keyword === 'USER');
    expect(FINAL.instructions.slice(index).filter((i) => i.keyword === 'RUN')).toEqual([]);
  });

  it('has production dependencies only in the final stage', () => {
    // GIVEN the deps stage installs with --omit=dev, and the final stage installs nothing itself
    const depsRuns = instructionsOf(stage('deps'), 'RUN').map((r) => r.args);
    expect(depsRuns.some((r) => /npm ci --omit=dev\b/.test(r))).toBe(true);
    expect(instructionsOf(FINAL, 'RUN').filter((r) => /\bnpm (ci|install|i)\b/.test(r.args))).toEqual([]);
    // THEN its node_modules come from the deps stage, and nothing else of the build stage but dist
    const fromStages = instructionsOf(FINAL, 'COPY').filter((c) => c.flags.from);
    const nodeModules = fromStages.filter((c) => c.words[0]?.endsWith('node_modules'));
    expect(nodeModules.map((c) => [c.flags.from, c.words[0]])).toEqual([['deps', '/app/node_modules']]);
    expect(fromStages.filter((c) => c.flags.from === 'build').map((c) => c.words[0])).toEqual([
      '/build/dist',
    ]);
  });

  it('sets the malloc variables the engine Deployment sets', () => {
    const env = envOf(FINAL);
    for (const [name, value] of Object.entries(MALLOC_ENV)) {
      expect([name, env[name]]).toEqual([name, value]);
      expect(CONTAINER.env).toContainEqual({ name, value });
    }
    expect(env.NODE_ENV).toBe('production');
  });

  it('exposes the Deployment port and checks the same /healthz as its probes', () => {
    const exposed = instructionsOf(FINAL, 'EXPOSE').map((e) => Number(e.words[0]));
    expect(exposed).toEqual([CONTAINER.ports[0]?.containerPort]);
    expect(envOf(FINAL).PORT).toBe(String(exposed[0]));
    const healthcheck = instructionsOf(FINAL, 'HEALTHCHECK');
    expect(healthcheck).toHaveLength(1);
    expect(healthcheck[0]?.args).toMatch(/CMD \["node", "-e", ".*\/healthz/);
    expect(CONTAINER.readinessProbe.httpGet.path).toBe('/healthz');
    expect(CONTAINER.livenessProbe.httpGet.path).toBe('/healthz');
  });

  it('runs the compiled server, as `npm start` does, under tini', () => {
    expect(instructionsOf(FINAL, 'ENTRYPOINT').map((e) => e.words)).toEqual([['/usr/bin/tini', '--']]);
    expect(instructionsOf(FINAL, 'CMD').map((c) => c.words)).toEqual([['node', 'dist/src/server/main.js']]);
    expect(PACKAGE.scripts.start).toMatch(/ node dist\/src\/server\/main\.js$/);
    // AND git is installed: the engine commits with git fast-import and pushes with git
    expect(instructionsOf(FINAL, 'RUN').some((r) => /apt-get install .*\bgit\b/.test(r.args))).toBe(true);
  });

  it('copies only what exists in the context and is not left out by its .dockerignore', () => {
    const sources = STAGES.flatMap((s) =>
      instructionsOf(s, 'COPY')
        .filter((c) => !c.flags.from)
        .flatMap((c) => c.words.slice(0, -1)),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect([source, existsSync(join(REPO_ROOT, source))]).toEqual([source, true]);
      expect([source, ignoredBy(IGNORE, source)]).toEqual([source, false]);
    }
    // AND the .dockerignore does leave out what must not go in (the check is live)
    for (const path of [
      'node_modules/x',
      'src/ui/node_modules/x',
      '.git/HEAD',
      'dist/src/x.js',
      'gitops/engine/envcat.yaml',
    ])
      expect([path, ignoredBy(IGNORE, path)]).toEqual([path, true]);
  });

  it('copies from other stages only what their RUN steps produce in their WORKDIR', () => {
    // GIVEN what each stage's RUN steps write: npm ci writes node_modules, `npm run build` dist/
    // (src/server/build.ts), `npm run build:ui` dist/ui (vite.config.ts); the build steps are run below
    const produces = (s: Stage): string[] => {
      const runs = instructionsOf(s, 'RUN').map((r) => r.args);
      return [
        ...(runs.some((r) => /\bnpm ci\b/.test(r)) ? ['node_modules'] : []),
        ...(runs.some((r) => /\bnpm run build\b/.test(r)) && runs.some((r) => /\bnpm run build:ui\b/.test(r))
          ? ['dist']
          : []),
      ].map((p) => `${workdir(s)}/${p}`);
    };
    const copies = instructionsOf(FINAL, 'COPY').filter((c) => c.flags.from);
    expect(copies.length).toBe(2);
    // THEN each copy takes one of them, from a stage defined before
    for (const copy of copies) {
      const from = stage(copy.flags.from as string);
      expect(STAGES.indexOf(from)).toBeLessThan(STAGES.length - 1);
      expect(produces(from)).toContain(copy.words[0]);
    }
  });

  it('is tagged as the engine Deployment and the README say', () => {
    const tag = buildTag(TEXT);
    expect(tag).toBeDefined();
    expect(CONTAINER.image).toBe(tag);
    expect(buildTag(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'))).toBe(tag);
    expect(buildTag(readFileSync(join(REPO_ROOT, 'gitops/README.md'), 'utf8'))).toBe(tag);
  });
});

describe(`${DOCKERFILE}: the build steps`, () => {
  const context = mkdtempSync(join(tmpdir(), 'envcat-image-'));
  afterAll(async () => {
    rmSync(context, { recursive: true, force: true });
    await stopEsbuild(); // its service process would run as long as the worker
  });

  it('produce the server its CMD runs, which loads with the production dependencies', async () => {
    // GIVEN a copy of what the build stage COPYs, with node_modules in place of its `npm ci`
    const buildStage = stage('build');
    for (const copy of instructionsOf(buildStage, 'COPY')) {
      const destination = copy.words.at(-1) as string;
      for (const source of copy.words.slice(0, -1)) {
        const target = destination.endsWith('/') ? join(context, source) : join(context, destination);
        cpSync(join(REPO_ROOT, source), target, { recursive: true });
      }
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(context, 'node_modules'));
    // WHEN its other RUN steps run there as written
    for (const run of instructionsOf(buildStage, 'RUN').filter((r) => !/^npm ci\b/.test(r.args))) {
      const result = spawnSync('sh', ['-c', run.args], { cwd: context, encoding: 'utf8' });
      expect([run.args, result.status, result.status === 0 ? '' : result.stderr]).toEqual([run.args, 0, '']);
    }
    // THEN the file the final stage's CMD runs (dist/ is copied to /app/dist) is there, and the UI
    const cmd = instructionsOf(FINAL, 'CMD')[0]?.words[1] as string;
    const built = posix.relative('dist', cmd);
    expect(existsSync(join(context, 'dist', built))).toBe(true);
    expect(existsSync(join(context, 'dist', 'ui', 'index.html'))).toBe(true);
    // AND it loads: every module it imports resolves and runs its top level
    const help = spawnSync(process.execPath, [join(context, cmd), '--help'], {
      cwd: context,
      encoding: 'utf8',
    });
    expect([help.status, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(/^Usage: envcat-server/);
    expect(help.stdout).toContain('--kubeconfig');
    // AND what it imports from packages is in `dependencies`, all the final stage installs; the one
    // dynamic exception is Vite, which src/server/ui-build.ts loads only when dist/ui is missing
    const result = await build({
      entryPoints: [join(context, cmd)],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
      outdir: join(context, 'analysis'),
    });
    const packages = new Map<string, Set<string>>();
    for (const output of Object.values(result.metafile.outputs))
      for (const imported of output.imports.filter((i) => i.external)) {
        if (imported.path.startsWith('node:') || builtinModules.includes(imported.path)) continue;
        const name = imported.path.startsWith('@')
          ? imported.path.split('/').slice(0, 2).join('/')
          : (imported.path.split('/')[0] as string);
        packages.set(name, (packages.get(name) ?? new Set()).add(imported.kind));
      }
    // (a package bundled in, such as Nest, keeps its dynamic imports of its optional peer
    // dependencies, which it makes in a try: @nestjs/microservices, class-validator…)
    const optionalPeers = new Set(
      Object.keys(PACKAGE.dependencies).flatMap((dependency) => {
        const manifest = JSON.parse(
          readFileSync(join(REPO_ROOT, 'node_modules', dependency, 'package.json'), 'utf8'),
        ) as { peerDependenciesMeta?: Record<string, { optional?: boolean }> };
        return Object.entries(manifest.peerDependenciesMeta ?? {})
          .filter(([, meta]) => meta.optional === true)
          .map(([name]) => name);
      }),
    );
    const notProduction = [...packages].filter(
      ([name, kinds]) =>
        !(name in PACKAGE.dependencies) &&
        !(optionalPeers.has(name) && [...kinds].every((kind) => kind === 'dynamic-import')),
    );
    expect(notProduction).toEqual([['vite', new Set(['dynamic-import'])]]);
    expect(packages.has('express')).toBe(true);
  });
});
