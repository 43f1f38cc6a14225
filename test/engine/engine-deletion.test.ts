/**
 * The Engine on the in-memory twins (test/support/engine-harness.ts), taking environments down:
 * the order of a deletion (apps, then the infrastructure last wave first, the Secrets, the
 * environment's files, its Namespace, and the namespace claim last), and a ttl that runs out
 * (or was extended before it did).
 * The test plays Argo CD and provider-terraform deleting what left Git; the order is read back
 * from the twins' commit history.
 */
import {
  ANNOTATION,
  UnavailableError,
  environmentFile,
  extendedTtl,
  namespaceClaimDir,
} from '../../src/core/index.js';
import type { RepoName } from '../../src/gitops/types.js';
import {
  APPLICATION,
  NAMESPACE,
  OUTPUTS,
  SECRET,
  WORKSPACE,
  domainRequest,
  stackRequest,
  useEngineHarness,
} from '../support/engine-harness.js';

describe('Engine on the twins: deletion', () => {
  const h = useEngineHarness();

  const ENV = 'dev-gone';
  const subjects = (repo: RepoName) =>
    h()
      .commits(repo)
      .map((c) => c.subject);
  const secrets = async () =>
    (await h().cluster.list(SECRET, { labelSelector: `envcat.io/environment=${ENV}` })).map(
      (s) => s.metadata.name,
    );
  const claim = () =>
    [...h().platform.remote.files().keys()].filter((p) => p.startsWith(namespaceClaimDir(ENV)));
  const filesOf = (repo: RepoName) =>
    [...(repo === 'platform' ? h().platform : h().apps).remote.files().keys()].filter((p) =>
      p.startsWith(`environments/${ENV}/`),
    );

  interface Stage {
    /** What happens (the test plays the controllers, or time passes). */
    when: string;
    act: () => Promise<unknown>;
    /** The commits that follow, in each repo. */
    platform: string[];
    apps: string[];
    then?: () => Promise<void> | void;
  }

  it('removes the apps, then the infrastructure last wave first, the Secrets, the files, and the claim once the Namespace is gone', async () => {
    // GIVEN a Ready environment: network, then db in it, then monitoring and app
    await h().create(stackRequest(ENV));
    await h().bringUp(ENV, OUTPUTS);
    expect(await secrets()).toEqual([`${ENV}-monitoring-params`]);

    const stages: Stage[] = [
      {
        when: 'its deletion is asked for',
        act: () => h().requestDeletion(ENV),
        platform: [`envcat: delete environment ${ENV} (by tester)`],
        apps: [`envcat: ${ENV}: delete applications`],
        then: () => expect(h().status(ENV)?.phase).toBe('Deleting'),
      },
      {
        when: 'a minute passes and Argo CD has not deleted the Applications yet',
        act: () => h().advance(60_000),
        platform: [],
        apps: [],
      },
      {
        when: 'Argo CD has deleted the Applications',
        act: async () => {
          for (const instance of ['monitoring', 'app'])
            await h().deleteObject({ ...APPLICATION, name: `${ENV}-${instance}`, namespace: 'argocd' });
        },
        platform: [`envcat: ${ENV}: delete infrastructure of db`],
        apps: [],
      },
      {
        when: 'a minute passes and the database is still being destroyed',
        act: () => h().advance(60_000),
        platform: [],
        apps: [],
      },
      {
        when: 'the database is destroyed',
        act: () => h().deleteObject({ ...WORKSPACE, name: `${ENV}-db`, namespace: ENV }),
        platform: [`envcat: ${ENV}: delete infrastructure of network`],
        apps: [],
      },
      {
        when: 'the network is destroyed, and deleting the Secret fails once',
        act: async () => {
          h().cluster.failNext('delete', new UnavailableError('the API server is shutting down'), {
            where: { kind: 'Secret' },
          });
          await h().deleteObject({ ...WORKSPACE, name: `${ENV}-network`, namespace: ENV });
        },
        platform: [],
        apps: [],
        then: async () => expect(await secrets()).toEqual([`${ENV}-monitoring-params`]),
      },
      {
        when: 'the pass is retried',
        act: () => h().advance(1_000),
        platform: [`envcat: ${ENV}: delete environment`],
        apps: [],
        then: async () => {
          expect(await secrets()).toEqual([]);
          expect(filesOf('platform')).toEqual([]);
          expect(claim()).toEqual([`${namespaceClaimDir(ENV)}/${ENV}`]);
        },
      },
      {
        when: '2 s pass with the Namespace still there',
        act: () => h().advance(2_000),
        platform: [],
        apps: [],
        then: () => expect(h().deleted).toEqual([]),
      },
      {
        when: 'Argo CD has deleted the Namespace, and the Application of the folder is still finishing',
        act: async () => {
          await h().deleteObject({ ...NAMESPACE, name: ENV });
          await h().advance(2_000);
        },
        platform: [],
        apps: [],
        then: () => {
          expect(h().deleted).toEqual([]);
          expect(h().status(ENV)?.message).toBe(
            `waiting for Argo CD to delete envcat-platform-${ENV} before releasing the namespace claim`,
          );
        },
      },
      {
        when: 'the ApplicationSet has deleted the Application of the removed folder',
        act: async () => {
          await h().deleteObject({ ...APPLICATION, name: `envcat-platform-${ENV}`, namespace: 'argocd' });
          await h().advance(2_000);
        },
        platform: [`envcat: ${ENV}: release namespace ${ENV}`],
        apps: [],
        then: () => {
          // (said again by each later event of the environment's Argo CD Application; see the report)
          expect(h().deleted).toEqual([ENV]); // said once
          expect(claim()).toEqual([]);
          expect(h().status(ENV)).toBeUndefined();
        },
      },
    ];

    for (const stage of stages) {
      const before = { platform: subjects('platform').length, apps: subjects('apps').length };
      await stage.act();
      await h().settle();
      expect({ when: stage.when, platform: subjects('platform').slice(before.platform) }).toEqual({
        when: stage.when,
        platform: stage.platform,
      });
      expect({ when: stage.when, apps: subjects('apps').slice(before.apps) }).toEqual({
        when: stage.when,
        apps: stage.apps,
      });
      await stage.then?.();
    }
    expect(filesOf('apps')).toEqual([]);
  });

  it.each([
    { when: 'a second before', offset: -1_000, deleting: false },
    { when: 'a second after', offset: 1_000, deleting: true },
  ])(
    'an environment whose ttl runs out: $when its first commit + ttl, it is being deleted: $deleting',
    async ({ offset, deleting }) => {
      // GIVEN a Ready environment with a ttl of 24h, created when its file was first committed
      const name = 'dev-ttl';
      await h().create(domainRequest(name));
      await h().bringUp(name, OUTPUTS);
      const history = await h().platform.log(environmentFile(name));
      const created = Date.parse(history.at(-1)!.date);

      // WHEN the clock reaches created + 24h + offset
      await h().advance(created + 24 * 3_600_000 + offset - h().clock.now());

      // THEN it is being deleted (the apps first) only once the ttl has run out; nobody asked for it
      expect(h().status(name)?.phase).toBe(deleting ? 'Deleting' : 'Ready');
      expect(subjects('apps').includes(`envcat: ${name}: delete applications`)).toBe(deleting);
      expect(h().file('platform', environmentFile(name))).not.toContain(ANNOTATION.deletionRequested);
    },
  );

  it('an environment extended before its ttl runs out is not deleted at the old expiry, but at the new one', async () => {
    // GIVEN a Ready environment with a ttl of 24h, 23h old
    const name = 'dev-extended';
    await h().create(domainRequest(name));
    await h().bringUp(name, OUTPUTS);
    const created = Date.parse((await h().platform.log(environmentFile(name))).at(-1)!.date);
    await h().advance(created + 23 * 3_600_000 - h().clock.now());

    // WHEN it is extended by 48h from now (spec.ttl = its age + 48h, a compare-and-swap commit)
    const ttl = extendedTtl({ createdAt: created, now: h().clock.now(), forSeconds: 48 * 3600 });
    expect(ttl).toBe('2d23h');
    const view = await h().service.patchTtl(name, { ttl }, { name: 'tester' });
    expect(view.status.expiresAt).toBe(new Date(created + 71 * 3_600_000).toISOString());
    expect(h().file('platform', environmentFile(name))).toContain(`ttl: ${ttl}`);
    await h().settle();

    // THEN a second after the old expiry it is still there
    await h().advance(created + 24 * 3_600_000 + 1_000 - h().clock.now());
    expect(h().status(name)?.phase).not.toBe('Deleting');
    expect(subjects('apps')).not.toContain(`envcat: ${name}: delete applications`);

    // AND a second after the new one, the ttl deletes it
    await h().advance(created + 71 * 3_600_000 + 1_000 - h().clock.now());
    expect(h().status(name)?.phase).toBe('Deleting');
    expect(subjects('apps')).toContain(`envcat: ${name}: delete applications`);
  });
});
