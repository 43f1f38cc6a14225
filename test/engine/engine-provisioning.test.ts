/**
 * The Engine on the in-memory twins (test/support/engine-harness.ts), provisioning: the order of
 * the waves, outputs feeding the apps' parameters, and waves of several environments grouped into
 * one commit. The test plays provider-terraform and Argo CD; what the engine did is read back from
 * the twins' commits.
 */
import { stepFile, type JsonValue } from '../../src/core/index.js';
import type { RepoName } from '../../src/gitops/types.js';
import { OUTPUTS, domainRequest, stackRequest, useEngineHarness } from '../support/engine-harness.js';

const ENV = 'dev-order';

interface ProvisioningCase {
  request: (name: string) => JsonValue;
  /** The infrastructure waves in order: their instances, and the subject of their commit. */
  infraWaves: Array<{ instances: string[]; subject: string }>;
  apps: { instances: string[]; subject: string };
  /** Where an output shows up once its Workspace is Available. */
  fed: Array<{ repo: RepoName; path: string; text: string }>;
}

const cases: Array<[string, ProvisioningCase]> = [
  [
    'the domain example: a database, then monitoring and the app',
    {
      request: domainRequest,
      infraWaves: [{ instances: ['db'], subject: 'wave 1, infrastructure: db (rds-postgres@1.0.0)' }],
      apps: {
        instances: ['monitoring', 'app'],
        subject: 'wave 2, applications: monitoring (datadog-agent@1.0.0), app (sample-app@1.0.0)',
      },
      fed: [
        {
          repo: 'apps',
          path: `environments/${ENV}/apps/app/deployment.yaml`,
          text: `value: ${OUTPUTS.db!.endpoint as string}`,
        },
      ],
    },
  ],
  [
    'a VPC, a database in it, then the apps',
    {
      request: stackRequest,
      infraWaves: [
        { instances: ['network'], subject: 'wave 1, infrastructure: network (vpc@1.0.0)' },
        { instances: ['db'], subject: 'wave 2, infrastructure: db (rds-postgres@1.0.0)' },
      ],
      apps: {
        instances: ['monitoring', 'app'],
        subject: 'wave 3, applications: monitoring (datadog-agent@1.0.0), app (sample-app@1.0.0)',
      },
      fed: [
        { repo: 'platform', path: stepFile(ENV, 'infra', 'db'), text: OUTPUTS.network!.vpcId as string },
        {
          repo: 'platform',
          path: stepFile(ENV, 'infra', 'db'),
          text: (OUTPUTS.network!.privateSubnetIds as string[])[1]!,
        },
        {
          repo: 'apps',
          path: `environments/${ENV}/apps/app/deployment.yaml`,
          text: `value: ${OUTPUTS.db!.endpoint as string}`,
        },
      ],
    },
  ],
];

describe('Engine on the twins: provisioning', () => {
  const h = useEngineHarness();

  const subjects = (repo: RepoName) =>
    h()
      .commits(repo)
      .map((c) => c.subject);

  it.each(cases)(
    '%s: infra waves in order, the apps once every Workspace is Available, outputs in their parameters',
    async (_, { request, infraWaves, apps, fed }) => {
      // GIVEN the request, and its AppProject in place: only the Workspaces hold the apps back
      await h().create(request(ENV));
      await h().createAppProject(ENV);
      await h().settle();
      const created = subjects('platform').slice(0, 1);
      expect(created).toEqual([expect.stringMatching(`^envcat: create environment ${ENV}: `)]);

      for (const [index, wave] of infraWaves.entries()) {
        // THEN this wave is committed, alone, after the earlier ones; no later wave, no apps
        const waveFiles = wave.instances.map((i) => stepFile(ENV, 'infra', i)).sort();
        expect(subjects('platform')).toEqual([
          ...created,
          ...infraWaves.slice(0, index + 1).map((w) => `envcat: ${ENV}: ${w.subject}`),
        ]);
        expect(h().commits('platform').at(-1)!.files).toEqual(waveFiles);
        expect(h().commits('apps')).toEqual([]);
        expect(h().status(ENV)?.phase).toBe('ProvisioningInfrastructure');

        // WHEN provider-terraform has the Workspaces but they are not Available yet
        for (const instance of wave.instances) await h().applyStep(ENV, 'infra', instance);
        await h().settle();
        // THEN nothing more is committed
        expect(h().commits('platform')).toHaveLength(created.length + index + 1);
        expect(h().commits('apps')).toEqual([]);

        // WHEN they are Available, with their outputs
        for (const instance of wave.instances)
          await h().markWorkspaceAvailable(ENV, instance, OUTPUTS[instance]);
        await h().settle();
      }

      // THEN the apps, in one commit of the apps repo, and nothing else in the platform repo
      expect(subjects('apps')).toEqual([`envcat: ${ENV}: ${apps.subject}`]);
      expect(h().commits('apps')[0]!.files).toEqual(
        expect.arrayContaining(apps.instances.map((i) => stepFile(ENV, 'apps', i))),
      );
      expect(h().commits('platform')).toHaveLength(created.length + infraWaves.length);
      expect(h().status(ENV)?.phase).toBe('DeployingApplications');
      for (const { repo, path, text } of fed) expect(h().file(repo, path)).toContain(text);

      // WHEN Argo CD has synced them THEN the environment is Ready
      for (const instance of apps.instances) await h().markApplicationSynced(ENV, instance);
      await h().settle();
      expect(h().status(ENV)?.phase).toBe('Ready');
    },
  );

  it('does not commit the apps while one Workspace of the last wave is not Available', async () => {
    // GIVEN a request whose only infra wave is one Workspace, Synced but failing to become Ready
    await h().create(domainRequest(ENV));
    await h().createAppProject(ENV);
    await h().settle();
    const workspace = await h().applyStep(ENV, 'infra', 'db');
    await h().cluster.replaceStatus({
      ...workspace,
      status: {
        conditions: [
          { type: 'Synced', status: 'True', reason: 'ReconcileSuccess', observedGeneration: 1 },
          { type: 'Ready', status: 'False', reason: 'Creating', observedGeneration: 1 },
        ],
      },
    });
    // WHEN a minute passes
    await h().advance(60_000);
    // THEN no apps commit, and the step says why
    expect(h().commits('apps')).toEqual([]);
    expect(h().steps(ENV)).toEqual([
      'db/infra: Progressing Creating',
      'monitoring/apps: Pending Waiting',
      'app/apps: Pending Waiting',
    ]);
  });

  it('commits the apps waves of two environments that fall due together in one commit', async () => {
    // GIVEN two environments waiting for their databases
    const names = ['dev-one', 'dev-two'];
    for (const name of names) {
      await h().create(domainRequest(name));
      await h().createAppProject(name);
    }
    await h().settle();
    for (const name of names) await h().applyStep(name, 'infra', 'db');
    await h().settle();
    expect(h().commits('apps')).toEqual([]);

    // WHEN both databases become Available at the same moment
    await Promise.all(names.map((name) => h().markWorkspaceAvailable(name, 'db', OUTPUTS.db)));
    await h().settle();

    // THEN one commit holds both apps waves, and its message names each
    const commits = h().commits('apps');
    expect(commits).toHaveLength(1);
    expect(commits[0]!.files).toEqual(
      expect.arrayContaining(
        names.flatMap((n) => [stepFile(n, 'apps', 'app'), stepFile(n, 'apps', 'monitoring')]),
      ),
    );
    expect(commits[0]!.subject).toMatch(/^envcat: dev-(one|two): wave 2, applications: .* \(and 1 more\)$/);
    for (const name of names) expect(commits[0]!.message).toContain(`envcat: ${name}: wave 2, applications:`);
  });

  it('keeps the history an environment shows up to date through its commits, reading Git for it once', async () => {
    // GIVEN two environments, created and shown once (their histories read), whose waves group
    const names = ['dev-one', 'dev-two'];
    const reads: string[] = [];
    for (const repo of [h().platform, h().apps]) {
      const log = repo.log.bind(repo);
      repo.log = (prefix, options) => {
        reads.push(`${repo.name} ${prefix}`);
        return log(prefix, options);
      };
    }
    for (const name of names) {
      await h().create(domainRequest(name));
      await h().service.get(name);
    }
    const historyReads = () => reads.filter((read) => read.endsWith('/'));
    expect(historyReads()).toHaveLength(4);

    // WHEN they are provisioned to Ready, then one is asked to be deleted
    await h().settle();
    for (const name of names) await h().applyStep(name, 'infra', 'db');
    await h().settle();
    await Promise.all(names.map((name) => h().markWorkspaceAvailable(name, 'db', OUTPUTS.db)));
    for (const name of names) await h().bringUp(name, { db: OUTPUTS.db! });
    await h().requestDeletion('dev-one');

    // THEN each shows every commit that touched it, as the repos' logs list them, and Git was not read again
    for (const name of names) {
      const shown = (await h().service.get(name)).status.commits;
      const touched = (repo: RepoName) =>
        h()
          .commits(repo)
          .filter((c) => c.files.some((file) => file.startsWith(`environments/${name}/`)))
          .map((c) => `${repo} ${c.sha}`);
      expect(shown.map((c) => `${c.repo} ${c.sha}`).sort()).toEqual(
        [...touched('platform'), ...touched('apps')].sort(),
      );
      expect(shown.map((c) => c.date)).toEqual(
        shown
          .map((c) => c.date)
          .sort()
          .reverse(),
      );
      for (const commit of shown)
        expect(commit.message).toMatch(
          new RegExp(`^envcat: (${name}: |create environment ${name}|delete environment ${name})`),
        );
    }
    expect(h().commits('apps').length).toBeGreaterThan(0);
    expect(historyReads()).toHaveLength(4);
  });
});
