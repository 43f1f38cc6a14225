/**
 * The Engine on the in-memory twins (test/support/engine-harness.ts), changing a running
 * environment: the changed infrastructure is committed first, and an app whose inputs changed is
 * committed again only once the Workspaces it reads are Ready at the version in Git (the live
 * Workspace carries the spec digest of the file Argo CD applied). The test plays Argo CD and
 * provider-terraform; what was committed when is read back from the twins.
 */
import {
  ANNOTATION,
  environmentFile,
  manifestsDir,
  parseYamlDocument,
  toYaml,
} from '../../src/core/index.js';
import type { RepoName } from '../../src/gitops/types.js';
import { OUTPUTS, stackRequest, useEngineHarness } from '../support/engine-harness.js';

const ENV = 'dev-update';

describe('Engine on the twins: updating a running environment', () => {
  const h = useEngineHarness();

  const subjects = (repo: RepoName) =>
    h()
      .commits(repo)
      .map((c) => c.subject);
  /** The app's manifests as the apps repo holds them (sample-app renders a manifests folder). */
  const appManifests = () =>
    [...h().apps.remote.files()]
      .filter(([path]) => path.startsWith(`${manifestsDir(ENV, 'app')}/`))
      .map(([, content]) => content)
      .join('---\n');
  const stepOf = (instance: string, part: 'infra' | 'apps') =>
    h()
      .status(ENV)
      ?.steps.find((s) => s.instance === instance && s.part === part);

  /** A person edits environment.yaml (as a PUT will): each instance's parameters merged with `changes`. */
  async function edit(changes: Record<string, Record<string, unknown>>): Promise<void> {
    const document = parseYamlDocument(h().file('platform', environmentFile(ENV))!) as {
      spec: { catalogs: Array<{ name: string; parameters?: Record<string, unknown> }> };
    };
    for (const instance of document.spec.catalogs)
      instance.parameters = { ...instance.parameters, ...changes[instance.name] };
    await h().outsideCommit('platform', {
      write: [{ path: environmentFile(ENV), content: toYaml(document) }],
      message: `edit ${ENV}`,
    });
    await h().pollGit();
  }

  beforeEach(async () => {
    // GIVEN a Ready environment: network, then db in it, then monitoring and app (app reads db.endpoint)
    await h().create(stackRequest(ENV));
    await h().bringUp(ENV, OUTPUTS);
    expect(h().status(ENV)?.phase).toBe('Ready');
  });

  it('changes the database first, and the app that reads it only once the database is Ready at its new spec', async () => {
    const before = { platform: subjects('platform').length, apps: subjects('apps').length };
    const appBefore = appManifests();

    // WHEN the db's storage and the app's replicas change in one edit
    await edit({ db: { allocatedStorage: 50 }, app: { replicas: 3 } });

    // THEN the db's Workspace is committed again at once; the app waits for it
    expect(subjects('platform').slice(before.platform)).toEqual([
      `edit ${ENV}`,
      expect.stringMatching(new RegExp(`^envcat: ${ENV}: .*update.*db`)),
    ]);
    expect(subjects('apps').slice(before.apps)).toEqual([]);
    expect(appManifests()).toBe(appBefore);
    // THEN the db reads as not applied yet, though its Workspace still says Ready (of its old spec)
    expect(stepOf('db', 'infra')).toMatchObject({ phase: 'Progressing', reason: 'NotApplied' });
    expect(h().status(ENV)?.phase).not.toBe('Ready');

    // WHEN Argo CD applies the new Workspace (its generation moves on; the old conditions stay)
    const applied = await h().applyStep(ENV, 'infra', 'db');
    await h().settle();
    expect(applied.metadata.annotations?.[ANNOTATION.specDigest]).toMatch(/^sha256:/);
    // THEN still nothing for the app: the Workspace's Ready speaks of its previous generation
    expect(subjects('apps').slice(before.apps)).toEqual([]);
    expect(stepOf('db', 'infra')?.phase).toBe('Progressing');

    // WHEN provider-terraform has applied it, with a new endpoint
    await h().markWorkspaceAvailable(ENV, 'db', { ...OUTPUTS.db, endpoint: 'orders-2.example.com' });
    await h().settle();

    // THEN the app is committed again, with its new replicas and the new endpoint
    expect(subjects('apps').slice(before.apps)).toHaveLength(1);
    const app = appManifests();
    expect(app).toContain('orders-2.example.com');
    expect(app).toMatch(/replicas\D+3/);
    // THEN the network, which nothing changed, was not touched
    expect(
      h()
        .commits('platform')
        .slice(before.platform)
        .flatMap((c) => c.files)
        .filter((f) => f.includes('/network')),
    ).toEqual([]);
  });

  it('commits an app whose own parameters changed at once when the infrastructure it reads is unchanged', async () => {
    const before = { platform: subjects('platform').length, apps: subjects('apps').length };
    await edit({ app: { replicas: 4 } });
    expect(subjects('platform').slice(before.platform)).toEqual([`edit ${ENV}`]);
    expect(subjects('apps').slice(before.apps)).toHaveLength(1);
    expect(appManifests()).toMatch(/replicas\D+4/);
  });
});
