/**
 * Committer: the engine's commits and what follows each, on fake repos (they record the changes
 * and answer as GitRepo does), the real repo view, and recorders for the rest. Steps are rendered
 * for real from the domain example (a database, then an app with manifests and monitoring).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseYamlDocument,
  validateEnvironment,
  type OutputValues,
  type ResolvedEnvironment,
  type Plan,
  type SecretPlan,
} from '../../src/core/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import type { FileChange, RepoName } from '../../src/gitops/types.js';
import type { Blocked } from '../../src/engine/blocked.js';
import { Committer, type CommittedEvent } from '../../src/engine/committer.js';
import { RenderedClean } from '../../src/engine/rendered-clean.js';
import { RepoView } from '../../src/engine/repo-view.js';
import { REPO_ROOT, TEST_RENDER_OPTIONS, builtInCatalog } from '../support/examples.js';
import { recordingLogger } from './fakes.js';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/render/domain-example');
const OUTPUTS = JSON.parse(readFileSync(join(FIXTURE, 'outputs.json'), 'utf8')) as OutputValues;
const NAME = 'dev-feature-auth';

async function domainExample(): Promise<{ env: ResolvedEnvironment; plan: Plan }> {
  const request = parseYamlDocument(readFileSync(join(FIXTURE, 'environment.yaml'), 'utf8'));
  const { environment, plan } = validateEnvironment(request, await builtInCatalog());
  return { env: environment, plan };
}

/** A repo that commits every change (unless it changes nothing it holds) on the head it is at. */
function fakeRepo() {
  const repo = {
    head: 'h0',
    count: 0,
    changes: [] as FileChange[],
    files: new Map<string, string>(),
    commit: async (change: FileChange) => {
      repo.changes.push(change);
      const base = repo.head;
      const changed =
        change.remove.length > 0 || change.write.some((f) => repo.files.get(f.path) !== f.content);
      if (!changed) return { changed: false, sha: base, attempts: 1, base };
      for (const f of change.write) repo.files.set(f.path, f.content);
      repo.head = `h${++repo.count}`;
      return { changed: true, sha: repo.head, attempts: 1, base };
    },
    sync: async () => repo.head,
    readTree: async () => new Map<string, string>(),
    log: async () => [],
  };
  return repo;
}

async function setup(options: { secretProblem?: Blocked; liveApplications?: KubeObject[] } = {}) {
  const repos = { platform: fakeRepo(), apps: fakeRepo() };
  const view = new RepoView({ ...repos, onAppsHead: () => undefined });
  await view.refresh('platform');
  await view.refresh('apps');
  const events: CommittedEvent[] = [];
  const refreshes: string[] = [];
  const ensured: string[] = [];
  const noted: { revisions: string[]; clocks: string[] } = { revisions: [], clocks: [] };
  const log = recordingLogger();
  const renderedClean = new RenderedClean();
  const committer = new Committer({
    repos,
    view,
    renderedClean,
    render: TEST_RENDER_OPTIONS,
    secrets: {
      ensure: async (_env, plan: SecretPlan) => {
        ensured.push(plan.name);
        return options.secretProblem;
      },
    },
    revisions: {
      noteCommitted: (env, instance, sha) => void noted.revisions.push(`${env}/${instance}@${sha}`),
    },
    clocks: { noteCommitted: (env, step, { at }) => void noted.clocks.push(`${env}/${step.id}@${at}`) },
    refresher: {
      request: (env, repo) => {
        refreshes.push(`${repo}/${env}`);
        return [];
      },
    },
    applications: () => options.liveApplications ?? [],
    onCommitted: (event) => void events.push(event),
    now: () => 42,
    logger: log.logger,
  });
  return { committer, repos, view, events, refreshes, ensured, noted, log, renderedClean };
}

describe('Committer.commit', () => {
  it('commits, moves the view, logs, announces and asks Argo CD to look', async () => {
    const { committer, repos, view, events, refreshes, log } = await setup();
    const sha = await committer.commit({
      environment: 'dev',
      repo: 'platform',
      write: [{ path: 'environments/dev/infra/db.yaml', content: 'x', repo: 'platform' } as never],
      message: 'envcat: dev: wave 1',
      wave: 1,
    });
    expect(sha).toBe('h1');
    // THEN only path and content go to Git, and no compare-and-swap unless asked
    expect(repos.platform.changes).toEqual([
      {
        write: [{ path: 'environments/dev/infra/db.yaml', content: 'x' }],
        remove: [],
        message: 'envcat: dev: wave 1',
      },
    ]);
    expect(view.head('platform')).toBe('h1');
    expect(view.pathsOf('platform', 'dev')).toEqual(new Set(['environments/dev/infra/db.yaml']));
    expect(events).toEqual([
      { environment: 'dev', repo: 'platform', sha: 'h1', message: 'envcat: dev: wave 1', wave: 1 },
    ]);
    expect(refreshes).toEqual(['platform/dev']);
    expect(log.lines).toEqual([
      expect.objectContaining({
        environment: 'dev',
        repo: 'platform',
        sha: 'h1',
        attempts: 1,
        msg: 'envcat: dev: wave 1',
      }),
    ]);
  });

  it('says nothing of a commit that changed nothing', async () => {
    const { committer, events, refreshes, log } = await setup();
    const change = {
      environment: 'dev',
      repo: 'platform' as RepoName,
      write: [{ path: 'environments/dev/x', content: 'x' }],
      message: 'm',
    };
    await committer.commit(change);
    expect(await committer.commit(change)).toBeUndefined();
    expect(events).toHaveLength(1);
    expect(refreshes).toHaveLength(1);
    expect(log.lines).toHaveLength(1);
  });

  it('passes a compare-and-swap through', async () => {
    const { committer, repos } = await setup();
    await committer.commit({
      environment: 'dev',
      repo: 'platform',
      message: 'm',
      remove: ['a'],
      mustNotExist: ['namespaces/dev'],
    });
    expect(repos.platform.changes[0]).toEqual({
      write: [],
      remove: ['a'],
      message: 'm',
      mustNotExist: ['namespaces/dev'],
    });
  });
});

describe('Committer.commitSteps', () => {
  it('commits a wave per repo, and notes the commit for the clocks', async () => {
    const { env, plan } = await domainExample();
    const { committer, repos, noted } = await setup();
    const db = plan.steps.filter((s) => s.id === 'db/infra');
    const blocked = new Map<string, Blocked>();
    const made = await committer.commitSteps({ name: NAME, env, steps: db, outputs: {}, blocked, wave: 1 });
    expect(made).toEqual([{ repo: 'platform', sha: 'h1' }]);
    expect(blocked).toEqual(new Map());
    expect(repos.platform.changes[0]?.message).toMatch(
      /^envcat: dev-feature-auth: wave 1, infrastructure: db \(rds-postgres@/,
    );
    expect(repos.platform.changes[0]?.write.map((f) => f.path)).toEqual([
      'environments/dev-feature-auth/infra/db.yaml',
    ]);
    expect(repos.apps.changes).toEqual([]);
    expect(noted.clocks).toEqual(['dev-feature-auth/db/infra@42']);
  });

  it('keeps an environment found clean clean across its own commit, with the outputs it was found clean with', async () => {
    const { env, plan } = await domainExample();
    const { committer, view, renderedClean } = await setup();
    const steps = plan.steps;
    const wave = (outputs: OutputValues) =>
      committer.commitSteps({
        name: NAME,
        env,
        steps: steps.filter((s) => s.id === 'app/apps'),
        outputs,
        blocked: new Map(),
        wave: 2,
      });
    const toRender = () =>
      renderedClean.toRender({ name: NAME, env, files: view.fileVersion(NAME), outputs: OUTPUTS, steps });
    renderedClean.noteClean({ name: NAME, env, files: view.fileVersion(NAME), outputs: OUTPUTS });
    await wave(OUTPUTS);
    expect(toRender().size).toBe(0);
    // rendered from other outputs than it was found clean with: every step is rendered again
    await wave({ ...OUTPUTS, db: { ...OUTPUTS.db, endpoint: 'elsewhere.example.com' } });
    expect([...toRender()].sort()).toEqual(steps.map((s) => s.id).sort());
  });

  it('replaces an app step manifests directory whole, once it is there, and notes the commit for revisions', async () => {
    const { env, plan } = await domainExample();
    const { committer, repos, noted } = await setup();
    const app = plan.steps.filter((s) => s.id === 'app/apps');
    const commit = () =>
      committer.commitSteps({
        name: NAME,
        env,
        steps: app,
        outputs: OUTPUTS,
        blocked: new Map(),
        update: true,
      });
    await commit();
    expect(repos.apps.changes[0]?.remove).toEqual([]);
    expect(repos.apps.changes[0]?.message).toMatch(
      /^envcat: dev-feature-auth: update, applications: app \(sample-app@/,
    );
    expect(noted.revisions).toEqual(['dev-feature-auth/app@h1']);
    await commit();
    expect(repos.apps.changes[1]?.remove).toEqual(['environments/dev-feature-auth/apps/app/']);
  });

  it('writes the Secrets a step reads before committing it', async () => {
    const { env, plan } = await domainExample();
    const { committer, repos, ensured } = await setup();
    const monitoring = plan.steps.filter((s) => s.id === 'monitoring/apps');
    await committer.commitSteps({
      name: NAME,
      env,
      steps: monitoring,
      outputs: {},
      blocked: new Map(),
      wave: 2,
    });
    // The agent's API key is a secret parameter: its Secret is written, never the file's content.
    expect(ensured).toEqual(['dev-feature-auth-monitoring-params']);
    expect(JSON.stringify(repos.apps.changes)).not.toContain('0123456789abcdef0123456789abcdef');
  });

  it('blocks a step that does not render and commits the others', async () => {
    const { env, plan } = await domainExample();
    const { committer, repos } = await setup();
    const phase2 = plan.steps.filter((s) => s.part === 'apps');
    const blocked = new Map<string, Blocked>();
    // WHEN the database's outputs are not known
    await committer.commitSteps({ name: NAME, env, steps: phase2, outputs: {}, blocked, wave: 2 });
    // THEN the app, which needs its endpoint, is blocked; monitoring is committed
    expect([...blocked]).toEqual([
      ['app/apps', { reason: 'RenderFailed', message: expect.stringContaining('db.endpoint') }],
    ]);
    expect(repos.apps.changes.map((c) => c.message)).toEqual([
      expect.stringMatching(/wave 2, applications: monitoring/),
    ]);
  });

  it('commits nothing while a Secret the steps read cannot be written, and blocks them all with why', async () => {
    const { env, plan } = await domainExample();
    const problem = { reason: 'SecretNotFound', message: 'Secret dev-feature-auth/x does not exist' };
    const { committer, repos } = await setup({ secretProblem: problem });
    const blocked = new Map<string, Blocked>();
    const made = await committer.commitSteps({
      name: NAME,
      env,
      steps: plan.steps,
      outputs: OUTPUTS,
      blocked,
      wave: 1,
    });
    expect(made).toEqual([]);
    expect(repos.platform.changes).toEqual([]);
    expect(new Set(blocked.values())).toEqual(new Set([problem]));
    expect([...blocked.keys()].sort()).toEqual(plan.steps.map((s) => s.id).sort());
  });
});

describe('Committer.rendersDifferently', () => {
  it('compares a fresh render with the files in Git; an output not known yet keeps what is there', async () => {
    const { env, plan } = await domainExample();
    const { committer } = await setup();
    const app = plan.steps.find((s) => s.id === 'app/apps')!;
    expect(committer.rendersDifferently(env, app, OUTPUTS)).toBe(true);
    await committer.commitSteps({
      name: NAME,
      env,
      steps: [app],
      outputs: OUTPUTS,
      blocked: new Map(),
      wave: 2,
    });
    expect(committer.rendersDifferently(env, app, OUTPUTS)).toBe(false);
    expect(committer.rendersDifferently(env, app, { db: { ...OUTPUTS.db, endpoint: 'elsewhere' } })).toBe(
      true,
    );
    expect(committer.rendersDifferently(env, app, {})).toBe(false);
  });
});

describe('Committer.removeDroppedInstances', () => {
  const liveApp = (instance: string): KubeObject => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: `${NAME}-${instance}`,
      labels: { 'envcat.io/environment': NAME, 'envcat.io/instance': instance },
    },
  });

  it.each([
    // A hybrid's infrastructure outlives its apps: db's own Application still being there keeps it.
    ['its Application is still live: apps go, infrastructure waits', [liveApp('db')], 0],
    ['another instance has an Application: both go', [liveApp('monitoring')], 1],
    ['its Application is gone: both go', [], 1],
  ])('removes the files of an instance dropped from the request; %s', async (_name, live, infraCommits) => {
    const { env, plan } = await domainExample();
    const { committer, repos } = await setup({ liveApplications: live });
    await committer.commitSteps({
      name: NAME,
      env,
      steps: plan.steps,
      outputs: OUTPUTS,
      blocked: new Map(),
      wave: 1,
    });
    const before = { platform: repos.platform.changes.length, apps: repos.apps.changes.length };
    // GIVEN the request without the app instance... and without the db, which app used
    const kept = { ...env, instances: env.instances.filter((i) => i.name === 'monitoring') };
    await committer.removeDroppedInstances(NAME, kept);
    expect(repos.apps.changes.slice(before.apps)).toEqual([
      {
        write: [],
        remove: ['environments/dev-feature-auth/apps/app.yaml', 'environments/dev-feature-auth/apps/app/'],
        message: 'envcat: dev-feature-auth: remove applications of app',
      },
    ]);
    const infra = repos.platform.changes.slice(before.platform);
    expect(infra).toHaveLength(infraCommits);
    if (infraCommits > 0)
      expect(infra[0]).toEqual({
        write: [],
        remove: ['environments/dev-feature-auth/infra/db.yaml'],
        message: 'envcat: dev-feature-auth: remove infrastructure of db',
      });
  });
});
