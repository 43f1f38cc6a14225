/**
 * The Engine on the in-memory twins (test/support/engine-harness.ts), pinned versions: publishing
 * a newer entry version never changes a running environment; a request committed by hand without
 * versions is pinned in the engine's first commit for it; one from before versions were pinned
 * (already rendered) is pinned to the version it renders, and nothing else changes.
 */
import {
  environmentFile,
  parseYamlDocument,
  toYaml,
  type EnvironmentDocument,
  type JsonValue,
} from '../../src/core/index.js';
import type { RepoName } from '../../src/gitops/types.js';
import { sampleApp110Files as sampleApp110 } from '../support/examples.js';
import { useEngineHarness, type EngineHarness } from '../support/engine-harness.js';

const ENV = 'dev-pin';

/** One sample-app, no range: it resolves to the latest. */
function request(name: string): EnvironmentDocument {
  return {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name },
    spec: {
      namespace: name,
      type: 'pre-release',
      catalogs: [{ name: 'app', entry: 'sample-app', parameters: { replicas: 2 } }],
    },
  };
}

/** Every file of the environment in a repo, by path. */
function filesOf(h: EngineHarness, repo: RepoName, env: string): Map<string, string> {
  const remote = (repo === 'platform' ? h.platform : h.apps).remote;
  return new Map([...remote.files()].filter(([path]) => path.startsWith(`environments/${env}/`)));
}

const versionsIn = (source: string | undefined) =>
  (parseYamlDocument(source ?? '') as unknown as EnvironmentDocument).spec.catalogs.map((c) => c.version);

describe('Engine on the twins: pinned versions', () => {
  const h = useEngineHarness();

  async function ready(name: string): Promise<void> {
    await h().bringUp(name);
    expect(h().status(name)?.phase).toBe('Ready');
  }

  it('publishing sample-app 1.1.0 leaves an environment on 1.0.0 as it was, byte for byte', async () => {
    // GIVEN an environment created (entry: sample-app) while 1.0.0 was the latest, Ready
    await h().create(request(ENV) as unknown as JsonValue);
    await ready(ENV);
    expect(versionsIn(h().file('platform', environmentFile(ENV)))).toEqual(['1.0.0']);
    const before = { platform: filesOf(h(), 'platform', ENV), apps: filesOf(h(), 'apps', ENV) };
    const commits = { platform: h().commits('platform').length, apps: h().commits('apps').length };
    expect(h().file('apps', `environments/${ENV}/apps/app/deployment.yaml`)).toContain('--level=info');

    // WHEN sample-app 1.1.0 is published (its default log level is warn), and the engine looks again
    const published = await h().service.catalog.publish(sampleApp110(), { name: 'platform-team' });
    expect(published).toMatchObject({ created: true, entry: { version: '1.1.0' } });
    await h().settle();
    await h().pollGit();

    // THEN nothing of the environment changed: not a byte, not a commit (besides the publish)
    expect(filesOf(h(), 'platform', ENV)).toEqual(before.platform);
    expect(filesOf(h(), 'apps', ENV)).toEqual(before.apps);
    expect(h().commits('apps')).toHaveLength(commits.apps);
    expect(
      h()
        .commits('platform')
        .slice(commits.platform)
        .map((c) => c.subject),
    ).toEqual(['envcat: publish catalog entry sample-app@1.1.0 (by platform-team)']);
    expect(h().status(ENV)?.phase).toBe('Ready');

    // …and what the API shows: the pinned version, and 1.1.0 as an update within the request's range
    const view = await h().service.get(ENV);
    expect(view.spec?.catalogs?.[0]).toMatchObject({ entry: 'sample-app', version: '1.0.0' });
    const update = { withinRange: '1.1.0' };
    expect(view.status.versions).toEqual([
      { instance: 'app', entry: 'sample-app', version: '1.0.0', update },
    ]);
    expect(
      h()
        .service.list()
        .find((e) => e.name === ENV)?.instances,
    ).toEqual([{ name: 'app', entry: 'sample-app', version: '1.0.0', update }]);

    // …and a new environment created now gets 1.1.0
    await h().create(request('dev-new') as unknown as JsonValue);
    expect(versionsIn(h().file('platform', environmentFile('dev-new')))).toEqual(['1.1.0']);
  });

  it('pins a request committed by hand without versions in its first commit, to the newest version', async () => {
    // GIVEN sample-app 1.1.0 published, and a request committed to Git by hand, without versions
    await h().service.catalog.publish(sampleApp110(), { name: 'platform-team' });
    const handWritten = toYaml(request(ENV) as unknown as JsonValue);
    const outside = await h().outsideCommit('platform', {
      write: [{ path: environmentFile(ENV), content: handWritten }],
      message: 'add dev-pin by hand',
    });

    // WHEN the engine reads it
    await h().pollGit();

    // THEN its first commit for it rewrites environment.yaml with the version, on top of the hand commit
    const commits = h().commits('platform');
    const after = commits.slice(commits.findIndex((c) => c.sha === outside) + 1);
    expect(after[0]).toMatchObject({
      subject: `envcat: ${ENV}: pin versions: app (sample-app@1.1.0)`,
      files: [environmentFile(ENV)],
    });
    // …read back from that commit: the version beside the entry, the request otherwise as committed
    const atPin = h().platform.remote.files(after[0]!.sha).get(environmentFile(ENV));
    const document = parseYamlDocument(atPin ?? '') as unknown as EnvironmentDocument;
    expect(document.spec.catalogs).toEqual([
      { name: 'app', entry: 'sample-app', version: '1.1.0', parameters: { replicas: 2 } },
    ]);
    // …and it is rendered on that version
    await h().createAppProject(ENV);
    await h().settle();
    expect(h().file('apps', `environments/${ENV}/apps/app/deployment.yaml`)).toContain('--level=warn');
    expect(
      h()
        .commits('platform')
        .flatMap((c) => c.changeSets)
        .filter((m) => m.includes('pin versions')),
    ).toHaveLength(1);
  });

  it('pins an environment from before versions were pinned to the version it renders, changing nothing else', async () => {
    // GIVEN an environment rendered on sample-app 1.0.0 whose environment.yaml names no version,
    // as envcat wrote it before versions were pinned
    await h().create(request(ENV) as unknown as JsonValue);
    await ready(ENV);
    const unpinned = toYaml(request(ENV) as unknown as JsonValue);
    await h().outsideCommit('platform', {
      write: [{ path: environmentFile(ENV), content: unpinned }],
      message: 'environment.yaml as an older envcat wrote it',
    });
    const apps = filesOf(h(), 'apps', ENV);
    const appsCommits = h().commits('apps').length;

    // WHEN sample-app 1.1.0 is published, and the engine reads both
    await h().service.catalog.publish(sampleApp110(), { name: 'platform-team' });
    await h().pollGit();

    // THEN environment.yaml is pinned to 1.0.0, what runs, not to 1.1.0; the apps are byte-identical
    expect(h().commits('platform').at(-1)).toMatchObject({
      subject: `envcat: ${ENV}: pin versions: app (sample-app@1.0.0)`,
      files: [environmentFile(ENV)],
    });
    expect(versionsIn(h().file('platform', environmentFile(ENV)))).toEqual(['1.0.0']);
    expect(filesOf(h(), 'apps', ENV)).toEqual(apps);
    expect(h().commits('apps')).toHaveLength(appsCommits);
    expect(h().status(ENV)?.phase).toBe('Ready');
  });
});
