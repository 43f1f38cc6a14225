/**
 * When an environment entered each phase, and for how long, through the API and `envcat env logs`:
 * derived from Git's commit times and the controllers' transition times, never kept by the
 * process, so a restarted service answers exactly the same.
 */
import { jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvironmentResources, EnvironmentView } from '../../src/api/contract.js';
import { main } from '../../src/cli/main.js';
import {
  exampleText,
  git,
  parse,
  startTestEnvcat,
  TEST_TOKEN,
  waitFor,
  type TestEnvcat,
} from '../support/envcat.js';

jest.setTimeout(120_000);

const NAME = 'dev-feature-auth';
let data: string;
let envcat: TestEnvcat | undefined;
beforeAll(async () => {
  data = await mkdtemp(join(tmpdir(), 'envcat-phases-'));
});
afterAll(async () => {
  await envcat?.close();
  await rm(data, { recursive: true, force: true });
});

/** envcat on the same data directory (repos and the simulated cluster's objects persist there). */
const start = () => startTestEnvcat({ env: { ENVCAT_DATA_DIR: data } });

async function ready(service: TestEnvcat): Promise<EnvironmentView> {
  return waitFor(
    `${NAME} Ready`,
    async () => {
      const view = await service.api<EnvironmentView>('GET', `/api/v1/environments/${NAME}`);
      return view.body.status?.phase === 'Ready' ? view.body : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

/** The date (ms, to the second) of the last commit that touched `path` in a repo. */
async function committedAt(repo: string, path: string): Promise<number> {
  return Date.parse((await git(repo, ['log', '-1', '--format=%aI', 'main', '--', path])).trim());
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

describe('an environment’s phases', () => {
  it('are when Git and the controllers say each began, last as long as that, and survive a restart', async () => {
    // GIVEN the domain example, its database's apply taking 2s and the app's sync 1s
    envcat = await start();
    const document = parse(await exampleText('sample-app', 'dev-feature-auth.yaml'));
    (document.metadata as Record<string, unknown>).annotations = {
      'simulator.envcat.io/db': JSON.stringify({ delay: '2s' }),
      'simulator.envcat.io/app': JSON.stringify({ delay: '1s' }),
    };
    expect((await envcat.api('POST', '/api/v1/environments', document)).status).toBe(201);

    // WHEN it is Ready
    const view = await ready(envcat);
    const { transitions = [], history = [], steps } = view.status;

    // THEN it went through each phase in order, the last one Ready with no end yet
    const phases = transitions.map((t) => t.phase);
    expect(phases.filter((p) => p !== 'InfrastructureReady')).toEqual([
      'Creating',
      'ProvisioningInfrastructure',
      'DeployingApplications',
      'Ready',
    ]);
    const span = (phase: string) => transitions.find((t) => t.phase === phase)!;
    expect(span('Ready').seconds).toBeUndefined();
    // …each phase lasting until the next began
    for (const [i, t] of transitions.slice(0, -1).entries())
      expect(t.seconds).toBe(seconds(transitions[i + 1]!.at) - seconds(t.at));
    // …Creating from the request's commit, the infrastructure from the database's commit, the
    // applications from the app's commit (Git's times)
    const request = await committedAt(envcat.repoUrls.platform, `environments/${NAME}/environment.yaml`);
    const db = await committedAt(envcat.repoUrls.platform, `environments/${NAME}/infra/db.yaml`);
    const app = await committedAt(envcat.repoUrls.apps, `environments/${NAME}/apps/app.yaml`);
    expect(Date.parse(span('Creating').at)).toBe(request);
    expect(Date.parse(span('ProvisioningInfrastructure').at)).toBe(db);
    expect(Date.parse(span('DeployingApplications').at)).toBe(app);
    // …the infrastructure for at least the database's 2s apply
    expect(span('ProvisioningInfrastructure').seconds).toBeGreaterThanOrEqual(2);
    // …and Ready when the last step became Ready, as its controller says (the Workspace's conditions)
    const dbStep = steps.find((s) => s.instance === 'db')!;
    const resources = await envcat.api<EnvironmentResources>('GET', `/api/v1/environments/${NAME}/resources`);
    const workspace = resources.body.items.find((i) => i.step === 'db/infra')!;
    const conditionTimes = workspace.conditions
      .filter((c) => c.type === 'Ready' || c.type === 'Synced')
      .map((c) => Date.parse(c.lastTransitionTime!));
    expect(Date.parse(dbStep.lastTransitionTime!)).toBe(Math.max(...conditionTimes));
    const lastReady = Math.max(...steps.map((s) => Date.parse(s.lastTransitionTime!)));
    expect(Date.parse(span('Ready').at)).toBe(lastReady);
    // …which the history shows for its one change
    expect(history.map((c) => c.title)).toEqual(['Created']);
    expect(history[0]!.phases).toEqual(transitions);

    // WHEN the service is stopped and started again on the same data
    await envcat.close();
    envcat = undefined;
    envcat = await start();
    const again = await ready(envcat);

    // THEN it says the same: nothing of it was in the process's memory
    expect(again.status.transitions).toEqual(transitions);
    expect(again.status.history).toEqual(history);

    // …and `envcat env logs` prints each phase when it began, for how long, then the phase now
    let stdout = '';
    const code = await main(
      ['node', 'envcat', 'env', 'logs', NAME, '--server', envcat.url, '--token', TEST_TOKEN],
      {
        stdout: (s) => void (stdout += s),
        stderr: () => undefined,
      },
    );
    expect(code).toBe(0);
    const phaseLines = stdout
      .split('\n')
      .filter((l) =>
        /^\S+ (Creating|ProvisioningInfrastructure|InfrastructureReady|DeployingApplications|Ready)\b/.test(
          l,
        ),
      );
    const time = (iso: string) => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(phaseLines).toEqual(
      transitions.map((t) =>
        t.seconds === undefined
          ? `${time(t.at)} Ready all steps are ready`
          : `${time(t.at)} ${t.phase} for ${t.seconds}s`,
      ),
    );
  });
});
