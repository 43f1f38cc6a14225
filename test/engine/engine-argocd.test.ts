/**
 * The Engine on the in-memory twins (test/support/engine-harness.ts), where it waits for Argo CD:
 * the AppProject gate (without spinning), refresh requests asked again while a step is not in the
 * cluster, and which revision an Application must have synced to count as Ready. The fake clock
 * moves only when a test says so.
 */
import { ARGOCD_ANNOTATION, namespaceFile, stepFile } from '../../src/core/index.js';
import type { RepoName } from '../../src/gitops/types.js';
import {
  APPLICATION,
  APP_PROJECT,
  OUTPUTS,
  domainRequest,
  useEngineHarness,
} from '../support/engine-harness.js';

const ENV = 'dev-argo';
const APPS_WAVE = `envcat: ${ENV}: wave 2, applications: monitoring (datadog-agent@1.0.0), app (sample-app@1.0.0)`;

describe('Engine on the twins: Argo CD', () => {
  const h = useEngineHarness();

  const subjects = (repo: RepoName) =>
    h()
      .commits(repo)
      .map((c) => c.subject);
  const calls = (verb: 'get' | 'mergePatch', kind: string, name: string) =>
    h()
      .cluster.calls(verb)
      .filter((c) => c.ref.kind === kind && 'name' in c.ref && c.ref.name === name).length;

  describe('waiting for the AppProject', () => {
    it.each([10_000, 60_000])(
      "reads it from its watch, never with a GET, asks the platform Application to refresh once per 10 s over %i ms, and commits the apps on the AppProject's own event",
      async (ms) => {
        // GIVEN the apps wave is due (the Workspace is Available) but the AppProject is not synced;
        // the Argo CD Applications of the environment's folders exist
        await h().create(domainRequest(ENV));
        await h().parentApplication('platform', ENV);
        await h().parentApplication('apps', ENV);
        await h().settle();
        await h().markWorkspaceAvailable(ENV, 'db', OUTPUTS.db);
        await h().settle();
        expect(h().commits('apps')).toEqual([]);
        h().cluster.clearCalls();

        // WHEN time passes
        await h().advance(ms);

        // THEN the gate decided from its informer's cache (100 databases turning Available at once
        // sent 100 GETs before, and their apps waited ~1.4 s for the answers); the platform
        // Application was asked to refresh once per 10 s; nothing committed
        expect(calls('get', APP_PROJECT.kind, `envcat-${ENV}`)).toBe(0);
        expect(calls('mergePatch', APPLICATION.kind, `envcat-platform-${ENV}`)).toBe(ms / 10_000);
        expect(h().commits('apps')).toEqual([]);
        expect(h().status(ENV)?.phase).toBe('InfrastructureReady');

        // WHEN the AppProject alone appears (the platform Application's status does not change)
        // THEN its watch event wakes the environment and the apps are committed without a timer
        const [project] = h()
          .objectsIn('platform', namespaceFile(ENV))
          .filter((o) => o.kind === 'AppProject');
        await h().cluster.apply(project!, { fieldManager: 'argocd-controller' });
        await h().settle();
        expect(subjects('apps')).toEqual([APPS_WAVE]);
      },
    );

    it('an AppProject that permits less than the rendered one holds the apps until it is updated', async () => {
      // GIVEN the AppProject is in the cluster without the Datadog chart repo the environment needs
      await h().create(domainRequest(ENV));
      await h().parentApplication('platform', ENV);
      await h().parentApplication('apps', ENV);
      await h().settle();
      const [project] = h()
        .objectsIn('platform', namespaceFile(ENV))
        .filter((o) => o.kind === 'AppProject');
      const spec = project!.spec as { sourceRepos: string[] };
      await h().cluster.apply(
        { ...project!, spec: { ...spec, sourceRepos: spec.sourceRepos.slice(0, 1) } },
        { fieldManager: 'argocd-controller' },
      );
      await h().markWorkspaceAvailable(ENV, 'db', OUTPUTS.db);
      await h().settle();
      expect(h().commits('apps')).toEqual([]);

      // WHEN Argo CD syncs the rendered one THEN the apps go
      await h().cluster.apply(project!, { fieldManager: 'argocd-controller' });
      await h().settle();
      expect(subjects('apps')).toEqual([APPS_WAVE]);
    });
  });

  describe('asking Argo CD to refresh again', () => {
    interface RefreshCase {
      part: 'infra' | 'apps';
      /** The environment's Application of that repo's folder, which the refresh goes to. */
      parent: string;
      /** Whether the step's object is in the cluster (then there is nothing to ask). */
      inCluster: boolean;
      /** Refresh requests to the parent after 9 s, then after 10 s. */
      asked: [number, number];
    }
    const cases: Array<[string, RefreshCase]> = [
      [
        'a Workspace not in the cluster 10 s after its commit',
        { part: 'infra', parent: `envcat-platform-${ENV}`, inCluster: false, asked: [1, 2] },
      ],
      [
        'an Application not in the cluster 10 s after its commit',
        { part: 'apps', parent: `envcat-apps-${ENV}`, inCluster: false, asked: [1, 2] },
      ],
      [
        'a Workspace that is in the cluster (provider-terraform is at it)',
        { part: 'infra', parent: `envcat-platform-${ENV}`, inCluster: true, asked: [1, 1] },
      ],
    ];

    it.each(cases)('%s', async (_, { part, parent, inCluster, asked }) => {
      // GIVEN the step was just committed (the Argo CD Applications of both folders exist)
      await h().create(domainRequest(ENV));
      await h().parentApplication('platform', ENV);
      await h().parentApplication('apps', ENV);
      await h().settle();
      if (part === 'apps') {
        await h().createAppProject(ENV);
        await h().markWorkspaceAvailable(ENV, 'db', OUTPUTS.db);
        await h().settle();
        expect(subjects('apps')).toEqual([APPS_WAVE]);
      }
      const committedAt = h().clock.now();
      if (inCluster) await h().applyStep(ENV, part, part === 'infra' ? 'db' : 'app');
      await h().settle();
      const refreshes = () => calls('mergePatch', APPLICATION.kind, parent);
      expect(refreshes()).toBe(1); // asked right after the commit

      // WHEN 9 s pass THEN not again yet; WHEN the 10th passes THEN again, if the step is still not there
      await h().advance(9_000);
      expect(refreshes()).toBe(asked[0]);
      await h().advance(1_000);
      expect(refreshes()).toBe(asked[1]);
      const live = await h().cluster.get({ ...APPLICATION, name: parent, namespace: 'argocd' });
      expect(live?.metadata.annotations).toMatchObject({
        [ARGOCD_ANNOTATION.refresh]: 'normal',
        [ARGOCD_ANNOTATION.refreshTimestamp]: new Date(
          committedAt + (asked[1] > 1 ? 10_000 : 0),
        ).toISOString(),
      });
    });
  });

  describe('which revision counts', () => {
    type Revision = 'ours' | 'older' | 'later' | 'unknown';
    const cases: Array<[string, { revision: Revision; app: string; phase: string }]> = [
      ['the commit of our files', { revision: 'ours', app: 'app/apps: Ready Healthy', phase: 'Ready' }],
      [
        'a later commit that holds our files (not the head)',
        { revision: 'later', app: 'app/apps: Ready Healthy', phase: 'Ready' },
      ],
      [
        'an older commit, from before our files',
        { revision: 'older', app: 'app/apps: Progressing OutdatedRevision', phase: 'DeployingApplications' },
      ],
      [
        'a commit the repo does not have',
        {
          revision: 'unknown',
          app: 'app/apps: Progressing OutdatedRevision',
          phase: 'DeployingApplications',
        },
      ],
    ];

    it.each(cases)('an Application synced at %s', async (_, { revision, app, phase }) => {
      // GIVEN someone committed to the apps repo before envcat, and twice after its apps wave
      const older = await h().outsideCommit('apps', {
        write: [{ path: 'README.md', content: 'The applications of envcat environments.\n' }],
        message: 'docs: the apps repo',
      });
      await h().create(domainRequest(ENV));
      await h().settle();
      await h().markWorkspaceAvailable(ENV, 'db', OUTPUTS.db);
      await h().createAppProject(ENV);
      await h().settle();
      const [ours] = h()
        .commits('apps')
        .filter((c) => c.files.includes(stepFile(ENV, 'apps', 'app')));
      expect(ours?.subject).toBe(APPS_WAVE);
      const later = await h().outsideCommit('apps', {
        write: [{ path: 'README.md', content: 'The applications of envcat environments, by folder.\n' }],
        message: 'docs: the apps repo, by folder',
      });
      await h().outsideCommit('apps', {
        write: [
          { path: 'README.md', content: 'The applications of envcat environments, one folder each.\n' },
        ],
        message: 'docs: the apps repo, one folder each',
      });
      // The engine's Git poll reads the new head (`later` is not the head: Git is asked about it).
      await h().pollGit();
      const revisions: Record<Revision, string> = {
        ours: ours!.sha,
        older,
        later,
        unknown: '0123456789abcdef0123456789abcdef01234567',
      };

      // WHEN Argo CD reports the app Synced and Healthy at that revision (monitoring, a Helm chart, at its version)
      await h().markApplicationSynced(ENV, 'monitoring');
      await h().markApplicationSynced(ENV, 'app', { revision: revisions[revision] });
      await h().settle();
      // (a revision Git does not know yet is looked up again after a fetch; give it the time)
      await h().advance(5_000);

      // THEN the step is Ready only at a revision that holds our files as we committed them
      expect(h().steps(ENV)).toContain(app);
      expect(h().status(ENV)?.phase).toBe(phase);
    });
  });
});
