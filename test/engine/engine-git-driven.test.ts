/**
 * The Engine on the in-memory twins (test/support/engine-harness.ts), when people change Git by
 * hand: removing `environment.yaml` alone is a deletion in the same order as one asked through
 * the API (the request is read back from the commit that removed it); removing the whole folder
 * in one commit is a deletion whose lost order the status and the log name; and every commit
 * made outside the engine makes it ask Argo CD to look at once, as after its own commits.
 */
import { environmentFile, environmentPrefix } from '../../src/core/index.js';
import type { RepoName } from '../../src/gitops/types.js';
import { recordingLogger } from './fakes.js';
import {
  APPLICATION,
  OUTPUTS,
  WORKSPACE,
  stackRequest,
  useEngineHarness,
} from '../support/engine-harness.js';

const ENV = 'dev-by-hand';
const log = recordingLogger();

describe('Engine on the twins: changes made to Git by hand', () => {
  const h = useEngineHarness({ logger: log.logger });

  const subjects = (repo: RepoName) =>
    h()
      .commits(repo)
      .map((c) => c.subject);
  const refreshes = (kind: string, name: string) =>
    h()
      .cluster.calls('mergePatch')
      .filter((c) => c.ref.kind === kind && 'name' in c.ref && c.ref.name === name).length;
  const deleteApplications = async () => {
    for (const instance of ['monitoring', 'app'])
      await h().deleteObject({ ...APPLICATION, name: `${ENV}-${instance}`, namespace: 'argocd' });
    await h().settle();
  };

  beforeEach(async () => {
    // GIVEN a Ready environment: network, then db in it, then monitoring and app
    log.lines.length = 0;
    await h().create(stackRequest(ENV));
    await h().bringUp(ENV, OUTPUTS);
    expect(h().status(ENV)?.phase).toBe('Ready');
  });

  it('removing environment.yaml alone deletes the apps, then the infrastructure last wave first', async () => {
    // WHEN a person removes the request, and nothing else
    await h().outsideCommit('platform', { remove: [environmentFile(ENV)], message: 'remove dev-by-hand' });
    const before = { platform: subjects('platform').length, apps: subjects('apps').length };
    await h().pollGit();

    // THEN the apps go first
    expect(subjects('apps').slice(before.apps)).toEqual([`envcat: ${ENV}: delete applications`]);
    expect(subjects('platform').slice(before.platform)).toEqual([]);
    expect(h().status(ENV)?.phase).toBe('Deleting');

    // THEN the database before the network it lives in, as the request's plan says (read back from Git)
    await deleteApplications();
    expect(subjects('platform').slice(before.platform)).toEqual([
      `envcat: ${ENV}: delete infrastructure of db`,
    ]);
    expect(h().status(ENV)?.message).toBe('waiting for terraform destroy of db (wave 2); then network');
    await h().advance(60_000);
    expect(subjects('platform').slice(before.platform)).toHaveLength(1);
    await h().deleteObject({ ...WORKSPACE, name: `${ENV}-db`, namespace: ENV });
    await h().settle();
    expect(subjects('platform').slice(before.platform)).toEqual([
      `envcat: ${ENV}: delete infrastructure of db`,
      `envcat: ${ENV}: delete infrastructure of network`,
    ]);
    expect(log.messages().filter((m) => m.includes('could not be kept'))).toEqual([]);
  });

  it('removing the whole folder in one commit: Argo CD is asked at once, and the status and the log say which order was lost', async () => {
    const platformRefreshes = () => refreshes('ApplicationSet', 'envcat-platform');
    const asked = platformRefreshes();

    // WHEN a person removes environments/<env>/ in one commit
    const commit = await h().outsideCommit('platform', {
      remove: [environmentPrefix(ENV)],
      message: 'remove dev-by-hand whole',
    });
    await h().pollGit();

    // THEN Argo CD is asked to look now, not at its 3-minute poll
    expect(platformRefreshes()).toBe(asked + 1);
    expect(refreshes('Application', `envcat-platform-${ENV}`)).toBeGreaterThan(0);
    // THEN the status names the commit and the order that could not be kept, the log says it once
    const said =
      `environments/${ENV}/ was removed whole in commit ${commit.slice(0, 12)}, outside envcat: Argo CD ` +
      'deletes its infrastructure at once, so the order of a deletion (applications first, then the ' +
      'infrastructure, last wave first) could not be kept';
    expect(h().status(ENV)).toMatchObject({
      phase: 'Deleting',
      message: `waiting for Argo CD to delete app, monitoring. ${said}`,
    });
    const warnings = log.lines.filter((l) => l.msg === said);
    expect(warnings).toEqual([expect.objectContaining({ level: 40, environment: ENV, commit })]);

    // THEN, the Workspaces pruned by Argo CD, the deletion finishes as usual
    await deleteApplications();
    for (const instance of ['db', 'network'])
      await h().deleteObject({ ...WORKSPACE, name: `${ENV}-${instance}`, namespace: ENV });
    await h().settle();
    expect(h().status(ENV)?.message).not.toContain('could not be kept');
    expect(log.lines.filter((l) => l.msg === said)).toHaveLength(1);
  });

  it('a person’s commit that the engine has nothing to add to makes it ask Argo CD to look at once', async () => {
    const asked = refreshes('ApplicationSet', 'envcat-platform');
    const commits = subjects('platform').length;
    const source = h().file('platform', environmentFile(ENV))!;
    await h().outsideCommit('platform', {
      write: [{ path: environmentFile(ENV), content: `# reviewed by the platform team\n${source}` }],
      message: 'note a review',
    });
    await h().pollGit();
    expect(subjects('platform').slice(commits)).toEqual(['note a review']);
    expect(refreshes('ApplicationSet', 'envcat-platform')).toBe(asked + 1);
  });
});
