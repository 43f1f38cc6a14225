import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import { loadCatalog } from '../catalog-source/index.js';
import { InputError } from '../core/errors/index.js';
import { validateEnvironment } from '../core/environment/index.js';
import {
  DEFAULT_RENDER_OPTIONS,
  projectOptionProblem,
  renderEnvironment,
  renderOptions,
  type OutputValues,
  type WorkspaceApi,
} from '../core/render/index.js';
import { parseJsonText } from '../core/json/index.js';
import { parseYamlDocument, yamlProblem } from '../core/yaml/index.js';
import { BUILT_IN_CATALOGS, terraformAllowFlag } from './catalog-commands.js';
import { fsErrorText, UsageError, type Io } from './io.js';

export { BUILT_IN_CATALOGS };

interface RenderFlags {
  file: string;
  out: string;
  catalogs?: string[];
  outputs?: string;
  workspaceApi: WorkspaceApi;
  appsRepoUrl?: string;
  appsRepoRevision: string;
  argocdNamespace: string;
  project: string;
  providerConfig: string;
}

export function registerRenderCommand(program: Command, io: Io): void {
  program
    .command('render')
    .description('render the manifests each GitOps repo would receive (no Git, no cluster)')
    .requiredOption('-f, --file <environment.yaml>', 'the Environment request')
    .requiredOption('--out <dir>', 'output folder: <dir>/platform/... and <dir>/apps/...')
    .option('--catalogs <dir...>', 'catalog folders (default: ./catalogs, else the built-in catalogs)')
    .option(
      '--outputs <json>',
      'infrastructure outputs {"<instance>":{"<output>":value}} (JSON text or a .json file); without it only phase 1 is rendered',
    )
    .addOption(
      new Option('--workspace-api <api>', 'Workspace API')
        .choices(['namespaced', 'cluster'])
        .default('namespaced'),
    )
    .option(
      '--apps-repo-url <url>',
      'application GitOps repo URL (default: $ENVCAT_APPS_REPO_URL, else the local repo of the embedded default)',
    )
    .option('--apps-repo-revision <rev>', 'branch of the application repo', 'main')
    .option('--argocd-namespace <ns>', 'namespace of Argo CD Applications', 'argocd')
    .option(
      '--project <name>',
      'Argo CD project of the Applications; with {env}, one per environment rendered into namespace.yaml',
      DEFAULT_RENDER_OPTIONS.argocd.project,
    )
    .option('--provider-config <name>', 'provider-terraform (Cluster)ProviderConfig', 'default')
    .action(async (flags: RenderFlags) => {
      const projectProblem = projectOptionProblem(flags.project);
      if (projectProblem) throw new InputError([{ path: '/--project', message: projectProblem }]);
      const request = await readRequest(flags.file);
      const outputs = flags.outputs === undefined ? undefined : await readOutputs(flags.outputs);
      const dirs = flags.catalogs ?? [existsSync('catalogs') ? 'catalogs' : BUILT_IN_CATALOGS];
      const { catalog, problems } = await loadCatalog(dirs, {
        terraformAllow: terraformAllowFlag(undefined),
      });
      if (problems.length > 0) throw new InputError(problems);

      const { environment, plan } = withFile(flags.file, () => validateEnvironment(request, catalog));
      const options = renderOptions({
        workspaceApi: flags.workspaceApi,
        providerConfig: flags.providerConfig,
        argocd: { namespace: flags.argocdNamespace, project: flags.project },
        appsRepo: {
          url:
            flags.appsRepoUrl ??
            process.env.ENVCAT_APPS_REPO_URL ??
            pathToFileURL(resolve('.envcat/repos/apps.git')).href,
          revision: flags.appsRepoRevision,
        },
      });
      const result = withFile(flags.file, () =>
        renderEnvironment({ env: environment, plan, outputs, options }),
      );

      try {
        for (const repo of ['platform', 'apps'] as const)
          await rm(join(flags.out, repo), { recursive: true, force: true });
        for (const file of result.files) {
          const target = join(flags.out, file.repo, file.path);
          await mkdir(dirname(target), { recursive: true });
          await writeFile(target, file.content);
          io.stderr(`wrote ${join(flags.out, file.repo, file.path)}\n`);
        }
      } catch (error) {
        const reason = fsErrorText(error);
        if (!reason) throw error;
        throw new UsageError(`--out ${flags.out}: cannot write the rendered files: ${reason}`);
      }
      for (const wave of plan.waves) {
        io.stderr(`wave ${wave.number} (phase ${wave.phase}, ${wave.part}): ${wave.steps.join(', ')}\n`);
      }
      for (const p of result.pending) io.stderr(`pending ${p.step}: waits for ${p.waitingFor.join(', ')}\n`);
      for (const s of result.secrets) {
        io.stderr(
          `secret ${s.namespace}/${s.name} (created by the engine, not in Git): ${[...s.keys.map((k) => k.key), ...(s.tfvars.length ? ['terraform.tfvars.json'] : [])].join(', ')}\n`,
        );
      }
    });
}

/** Problems from the request carry its file name. */
function withFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof InputError)
      throw new InputError(
        error.problems.map((p) => ({ ...p, file: p.file ?? file })),
        { cause: error },
      );
    throw error;
  }
}

async function readRequest(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError([
      { file, path: '', message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` },
    ]);
  }
  try {
    return parseYamlDocument(text);
  } catch (error) {
    throw new InputError([yamlProblem(error, file)]);
  }
}

async function readOutputs(value: string): Promise<OutputValues> {
  const trimmed = value.trim();
  const source = trimmed.startsWith('{') ? '--outputs' : value;
  let text = trimmed;
  if (!trimmed.startsWith('{')) {
    try {
      text = await readFile(value, 'utf8');
    } catch {
      throw new InputError([
        { file: '--outputs', path: '', message: 'is neither JSON text nor a readable file' },
      ]);
    }
  }
  const json = parseJsonText(text);
  if (!json.ok) throw new InputError([{ ...json.problem, file: source }]);
  const parsed = json.value;
  const problems = [];
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push({
      file: source,
      path: '',
      message: 'must be an object {"<instance>": {"<output>": value}}',
    });
  } else {
    for (const [instance, outputs] of Object.entries(parsed)) {
      if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) {
        problems.push({ file: source, path: `/${instance}`, message: 'must be an object of output values' });
      }
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return parsed as OutputValues;
}
