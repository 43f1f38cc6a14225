/**
 * The engine benchmark's own instruments: the gate that makes Workspaces turn Available at one
 * moment, the lock-wait accounting of the timed Git port, and the statistics.
 */
import type { ControlSource, InstanceRef } from '../../src/simulator/index.js';
import type { CommitResult, FileChange, GitOpsRepo } from '../../src/gitops/types.js';
import { databaseDelayMs } from './engine-latency.js';
import { assignLockSlots, GatedControls, TimedGitRepo, type GitCall } from './engine-support.js';
import { cpuAffinity, cpuSplit, latencyCpuSplit, parseCpuList } from './engine-host.js';
import { percentile } from './measure.js';

const db: InstanceRef = { environment: 'dev', instance: 'db' };
const app: InstanceRef = { environment: 'dev', instance: 'app' };

describe('GatedControls', () => {
  const fromAnnotations: ControlSource = { forInstance: () => Promise.resolve({ delayMs: 123 }) };

  it('holds gated instances until released, then ends every apply at the release moment', async () => {
    // GIVEN a gate on db instances, asked first at t0
    const gate = new GatedControls(fromAnnotations, (ref) => ref.instance === 'db');
    const t0 = Date.now();
    expect(await gate.forInstance(db)).toEqual({ neverReady: true });
    expect(gate.waiting).toBe(1);

    // WHEN it is released for t0 + 5 s
    gate.release(t0 + 5_000);

    // THEN the delay counts from the first question, so the apply ends at the release moment
    const { delayMs } = await gate.forInstance(db);
    expect(delayMs).toBeGreaterThanOrEqual(4_900);
    expect(delayMs).toBeLessThanOrEqual(5_000);
  });

  it('tells whoever listens of the release, once each, and not after they unsubscribed', () => {
    const gate = new GatedControls(fromAnnotations, (ref) => ref.instance === 'db');
    const heard: string[] = [];
    const unsubscribeA = gate.onChange(() => heard.push('a'));
    gate.onChange(() => heard.push('b'));
    unsubscribeA();
    gate.release(Date.now());
    expect(heard).toEqual(['b']);
  });

  it('passes other instances through to the annotations', async () => {
    const gate = new GatedControls(fromAnnotations, (ref) => ref.instance === 'db');
    expect(await gate.forInstance(app)).toEqual({ delayMs: 123 });
    expect(gate.waiting).toBe(0);
  });
});

/** An in-memory repo that, like GitRepo, runs one call at a time in call order. */
class SerialRepo implements GitOpsRepo {
  readonly name = 'apps' as const;
  readonly displayUrl = 'memory://apps';
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly workMs: number) {}

  private serial<T>(value: T): Promise<T> {
    const run = this.tail.then(
      () => new Promise<T>((resolve) => setTimeout(() => resolve(value), this.workMs)),
    );
    this.tail = run;
    return run;
  }

  sync = () => this.serial('0'.repeat(40));
  readTree = () => this.serial(new Map<string, string>());
  commit = (change: FileChange) =>
    this.serial<CommitResult>({ changed: change.write.length > 0, sha: '1'.repeat(40), attempts: 1 });
  isAncestor = () => this.serial(true);
  objectIds = () => this.serial([]);
  log = () => this.serial([]);
  readFileBefore = () => this.serial<string | undefined>(undefined);
}

describe('assignLockSlots', () => {
  const call = (op: GitCall['op'], calledAt: number, endedAt: number, sha?: string): GitCall => ({
    repo: 'apps',
    op,
    calledAt,
    startedAt: calledAt,
    endedAt,
    ...(sha ? { sha } : {}),
  });

  it('gives the change sets committed together one slot, after the slot before it', () => {
    // GIVEN a commit under way (0–40) while three more are called; those three are pushed together (40–90)
    const first = call('commit', 0, 40, 'a');
    const grouped = [call('commit', 10, 90, 'b'), call('commit', 20, 90, 'b'), call('commit', 30, 90.5, 'b')];
    const sync = call('sync', 50, 100);
    const log = call('log', 60, 65);

    assignLockSlots([log, sync, ...grouped, first]);

    expect(first.startedAt).toBe(0);
    // waited for the first commit, then did 50 ms of work together
    expect(grouped.map((c) => c.startedAt)).toEqual([40, 40, 40]);
    // the sync waited for the grouped commit
    expect(sync.startedAt).toBe(90.5);
    // a read does not take the lock
    expect(log.startedAt).toBe(60);
  });

  it('starts a slot at its last call when the lock was free', () => {
    const calls = [call('commit', 0, 10, 'a'), call('commit', 100, 130, 'b'), call('commit', 101, 130, 'b')];
    assignLockSlots(calls);
    expect(calls.map((c) => c.startedAt)).toEqual([0, 101, 101]);
  });
});

describe('TimedGitRepo', () => {
  it('records each call with the sha and change of a commit', async () => {
    const repo = new TimedGitRepo(new SerialRepo(10));
    const change = { write: [{ path: 'a', content: 'x' }], remove: [], message: 'm' };
    await Promise.all([repo.commit(change), repo.log('environments/')]);
    const commit = repo.calls.find((c) => c.op === 'commit')!;
    expect(commit).toMatchObject({ message: 'm', changed: true, sha: '1'.repeat(40) });
    expect(commit.endedAt - commit.calledAt).toBeGreaterThanOrEqual(9);
    expect(repo.calls.map((c) => c.op).sort()).toEqual(['commit', 'log']);
  });
});

describe('statistics', () => {
  it.each([
    [50, 5],
    [95, 10],
    [100, 10],
    [10, 1],
  ])('percentile %i of 1..10 is a measured value: %i', (p, expected) => {
    expect(percentile([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], p)).toBe(expected);
  });

  it('gives each environment a reproducible database delay between 2 and 12 s, spread out', () => {
    const delays = Array.from({ length: 100 }, (_, n) => databaseDelayMs(n));
    expect(delays).toEqual(Array.from({ length: 100 }, (_, n) => databaseDelayMs(n)));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(2_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(12_000);
    expect(new Set(delays).size).toBeGreaterThan(90);
  });
});

describe('cpuSplit', () => {
  it.each<[string, number[], Record<string, string>, ReturnType<typeof cpuSplit>]>([
    ['one CPU', [0], {}, undefined],
    ['two CPUs', [0, 1], {}, { engine: '0', cluster: '1' }],
    ['three CPUs', [0, 1, 2], {}, { engine: '0', cluster: '1,2' }],
    ['the CPUs a cpuset allows', [2, 3, 6, 7], {}, { engine: '2,3', cluster: '6,7' }],
    ['pinning turned off', [0, 1], { ENVCAT_BENCH_PIN_CPUS: '0' }, undefined],
  ])('GIVEN %s THEN the split is as expected', (_case, cpus, env, expected) => {
    expect(cpuSplit(cpus, env)).toEqual(expected);
  });

  it.each<[string, number[]]>([
    ['0,1\n', [0, 1]],
    [' 0-3', [0, 1, 2, 3]],
    ['1,4-6', [1, 4, 5, 6]],
  ])('GIVEN the CPU list %j THEN its CPUs', (list, cpus) => {
    expect(parseCpuList(list)).toEqual(cpus);
  });

  it('GIVEN something that is not a CPU list THEN it says so', () => {
    expect(() => parseCpuList('0,a')).toThrow('not a CPU list');
  });

  it('splits this process’s CPUs for the latency bench, or not at all when told not to', async () => {
    expect(await latencyCpuSplit({ ENVCAT_BENCH_PIN_CPUS: '0' })).toBeUndefined();
    const cpus = await cpuAffinity(process.pid);
    const split = await latencyCpuSplit({});
    if (cpus.length < 2) expect(split).toBeUndefined();
    else expect(split).toEqual({ ...cpuSplit(cpus), all: cpus.join(',') });
  });

  it('reads this process’s CPUs from taskset', async () => {
    const cpus = await cpuAffinity(process.pid);
    expect(cpus.length).toBeGreaterThanOrEqual(1);
    expect(cpus.every((cpu) => Number.isInteger(cpu) && cpu >= 0)).toBe(true);
  });
});
