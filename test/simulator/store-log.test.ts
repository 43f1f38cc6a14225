/**
 * The simulated API server's objects on disk (store-log.ts): a write-ahead log written before each
 * write is acknowledged, snapshots, and a restart that finds every object as it was, with its uid,
 * resourceVersion and field owners, and resourceVersions that keep increasing.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, stop as stopEsbuild } from 'esbuild';
import { ExternalError } from '../../src/core/errors/index.js';
import type { KubeObject } from '../../src/cluster/types.js';
import { SimulatedApiServer } from '../../src/simulator/api-server.js';
import { FileStoreLog, type FileStoreLogOptions } from '../../src/simulator/store-log.js';
import { REPO_ROOT } from '../support/examples.js';
import { EXIT_WITH_PARENT } from '../support/exit-with-parent.js';

let dir: string;
const open: SimulatedApiServer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'envcat-store-'));
});

afterEach(async () => {
  for (const server of open.splice(0)) await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function server(options: Partial<FileStoreLogOptions> = {}): SimulatedApiServer {
  const created = new SimulatedApiServer({ persistence: new FileStoreLog({ dir, ...options }) });
  open.push(created);
  return created;
}

/**
 * The two modules the killed processes run, compiled once for this file: through tsx each process
 * spent about 3 s compiling them before its first write. Under dist/ (in a folder of this jest
 * worker's own) so that the packages they import resolve from node_modules.
 */
const COMPILED = join(REPO_ROOT, 'dist', 'test', `store-log-${process.pid}`);
const STORE_MODULES = { server: join(COMPILED, 'server.js'), log: join(COMPILED, 'log.js') };

beforeAll(async () => {
  await build({
    entryPoints: {
      server: join(REPO_ROOT, 'src/simulator/api-server.ts'),
      log: join(REPO_ROOT, 'src/simulator/store-log.ts'),
    },
    outdir: COMPILED,
    bundle: true,
    // One copy of the modules both import (a FileStoreLog class the server knows).
    splitting: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: join(REPO_ROOT, 'tsconfig.json'),
    logLevel: 'warning',
  });
});

afterAll(async () => {
  rmSync(COMPILED, { recursive: true, force: true });
  await stopEsbuild(); // its service process would run as long as the worker
});

/**
 * Runs `body` in a process of its own with `server`, a SimulatedApiServer on the directory, then
 * kills that process with SIGKILL (no close, no flush, the LOCK file left behind); resolves with
 * what `body` returned. With `stay`, the process is left running (killed by the caller).
 */
async function inKilledProcess(body: string, options: { stay?: boolean } = {}) {
  const script = `
    const { SimulatedApiServer } = await import(${JSON.stringify(STORE_MODULES.server)});
    const { FileStoreLog } = await import(${JSON.stringify(STORE_MODULES.log)});
    const server = new SimulatedApiServer({ persistence: new FileStoreLog({ dir: ${JSON.stringify(dir)} }) });
    const result = await (async () => { ${body} })();
    process.stdout.write(JSON.stringify(result ?? null) + '\\n');
    ${options.stay ? 'setInterval(() => undefined, 1000);' : "process.kill(process.pid, 'SIGKILL');"}
  `;
  const child = spawn(process.execPath, [...EXIT_WITH_PARENT, '--input-type=module', '-e', script], {
    detached: true,
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const line = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`the child ended (${code ?? signal}) before answering`)),
    );
  });
  const result = JSON.parse(await line) as unknown;
  if (!options.stay)
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve),
    );
  return { result, child };
}

async function restart(previous: SimulatedApiServer, options: Partial<FileStoreLogOptions> = {}) {
  open.splice(open.indexOf(previous), 1);
  await previous.close();
  return server(options);
}

const configMap = (name: string, data: Record<string, string> = { a: '1' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});
const ref = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: 'default' });
const segments = () => readdirSync(dir).filter((f) => f.startsWith('wal-'));

describe('the simulated API server on a FileStoreLog', () => {
  it('finds every object again after a restart, with its uid, resourceVersion and content', async () => {
    // GIVEN a server that created, changed and deleted objects
    const first = server();
    const kept = first.objects.create(configMap('kept'));
    first.objects.replace({ ...first.objects.get(ref('kept'))!, data: { a: '2' } });
    first.objects.create(configMap('gone'));
    first.objects.delete(ref('gone'));
    const secret = first.objects.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'default' },
      stringData: { password: 'hunter2' },
    });
    const before = first.objects.get(ref('kept'))!;
    const revision = Number(first.objects.resourceVersion);

    // WHEN it is restarted on the same directory
    const second = await restart(first);

    // THEN the objects are as they were, the deleted one is gone, and the revision goes on from there
    expect(second.restored).toBe(true);
    expect(second.objects.get(ref('kept'))).toEqual(before);
    expect(second.objects.get(ref('kept'))!.metadata.uid).toBe(kept.metadata.uid);
    expect(second.objects.get(ref('gone'))).toBeUndefined();
    expect(second.objects.get({ apiVersion: 'v1', kind: 'Secret', name: 's', namespace: 'default' })).toEqual(
      secret,
    );
    expect(second.objects.resourceVersion).toBe(String(revision));
    const next = second.objects.create(configMap('after'));
    expect(Number(next.metadata.resourceVersion)).toBe(revision + 1);
  });

  it('keeps resourceVersions increasing across restarts when the last change was a deletion', async () => {
    // GIVEN a store whose last change removed an object
    const first = server();
    first.objects.create(configMap('a'));
    first.objects.delete(ref('a'));
    const afterDelete = Number(first.objects.resourceVersion);

    // WHEN it restarts twice and writes in between
    const second = await restart(first);
    const created = second.objects.create(configMap('b'));
    const third = await restart(second);

    // THEN every revision is above every earlier one
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(afterDelete);
    expect(third.objects.get(ref('b'))!.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(Number(third.objects.create(configMap('c')).metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
  });

  it('has written each change before it returns (a kill -9 loses nothing acknowledged)', async () => {
    // GIVEN a process that wrote objects and was killed right after the last write returned
    const { result } = await inKilledProcess(`
      for (let i = 0; i < 50; i += 1)
        server.objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-' + i, namespace: 'default' } });
      return server.objects.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm-49', namespace: 'default' });
    `);

    // WHEN another one opens the directory (taking over the dead process's lock)
    const second = server();

    // THEN every object is there, as the dead process last returned it
    expect(second.objects.get(ref('cm-49'))).toEqual(result);
    expect(
      second.objects.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'default' }),
    ).toHaveLength(50);
  });

  it('drops a torn last line, and appends after it cleanly', async () => {
    // GIVEN a log whose last write was cut short by a crash
    await inKilledProcess(`server.objects.create(${JSON.stringify(configMap('whole'))});`);
    const [segment] = segments();
    appendFileSync(
      join(dir, segment!),
      '{"rv":999,"s":"configmaps.","ns":"default","n":"torn","o":{"apiVers',
    );

    // WHEN the store opens, writes, and opens again
    const second = server();
    second.objects.create(configMap('later'));
    const third = await restart(second);

    // THEN the torn record is ignored and nothing after it is lost
    expect(third.objects.get(ref('whole'))).toBeDefined();
    expect(third.objects.get(ref('torn'))).toBeUndefined();
    expect(third.objects.get(ref('later'))).toBeDefined();
    expect(readFileSync(join(dir, segment!), 'utf8').endsWith('\n')).toBe(true);
  });

  it('refuses a log with an unreadable line that is not the last one, naming it', async () => {
    // GIVEN a log with garbage in its middle
    await inKilledProcess(`server.objects.create(${JSON.stringify(configMap('x'))});`);
    const [segment] = segments();
    const path = join(dir, segment!);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.splice(1, 0, 'not json');
    writeFileSync(path, lines.join('\n'));

    // WHEN the store opens THEN it says which file and line
    expect(() => server()).toThrow(ExternalError);
    expect(() => new SimulatedApiServer({ persistence: new FileStoreLog({ dir }) })).toThrow(
      new RegExp(`${segment!}.* line 2 is not JSON`),
    );
  });

  it('compacts the log into a snapshot and reads the snapshot plus the newer log back', async () => {
    // GIVEN a store that compacts as soon as its log holds a few KiB
    const first = server({ compactMinBytes: 4096 });
    for (let i = 0; i < 40; i += 1) first.objects.create(configMap(`cm-${i}`, { value: 'x'.repeat(200) }));
    for (let i = 0; i < 10; i += 1) first.objects.delete(ref(`cm-${i}`));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the snapshot is written in the background
    first.objects.create(configMap('after-snapshot'));

    // WHEN it restarts
    const files = readdirSync(dir);
    const second = await restart(first);

    // THEN a snapshot replaced most of the log, and the state is whole
    expect(files).toContain('snapshot.jsonl');
    // the first segment (from revision 1) is covered by the snapshot and removed
    expect(files).not.toContain('wal-00000000000000000001.jsonl');
    expect(files.filter((f) => f.startsWith('wal-')).length).toBeLessThanOrEqual(2);
    expect(
      second.objects.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'default' }),
    ).toHaveLength(31);
    expect(second.objects.get(ref('cm-9'))).toBeUndefined();
    expect(second.objects.get(ref('cm-39'))).toBeDefined();
    expect(second.objects.get(ref('after-snapshot'))).toBeDefined();
  });

  it('skips the records a snapshot holds (a crash after the snapshot, before its segments were removed)', async () => {
    // GIVEN a log segment saved before a snapshot covered it
    const first = server();
    for (let i = 0; i < 5; i += 1) first.objects.create(configMap(`early-${i}`));
    const second = await restart(first, { compactMinBytes: 2048 });
    const [covered] = segments();
    const saved = readFileSync(join(dir, covered!), 'utf8');
    second.objects.replace({ ...second.objects.get(ref('early-1'))!, data: { a: 'changed' } });
    for (let i = 0; i < 20; i += 1) second.objects.create(configMap(`late-${i}`, { value: 'y'.repeat(200) }));
    second.objects.delete(ref('early-0'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await restart(second);
    expect(segments()).not.toContain(covered);
    const expected = third.objects.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'default' });

    // WHEN that segment is back beside the snapshot, as a crash between the two steps leaves it
    const fourth = await restart(third);
    await fourth.close();
    open.splice(open.indexOf(fourth), 1);
    writeFileSync(join(dir, covered!), saved);
    const fifth = server();

    // THEN its records are skipped: the deleted object stays deleted, the changed one changed
    expect(fifth.objects.get(ref('early-0'))).toBeUndefined();
    expect(fifth.objects.get(ref('early-1'))!.data).toEqual({ a: 'changed' });
    expect(fifth.objects.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: 'default' })).toEqual(
      expected,
    );
  });

  it('keeps field owners, so server-side apply conflicts survive a restart', async () => {
    // GIVEN an object whose field a manager owns through apply
    const first = server();
    const url = (await first.start()).url;
    const apply = (manager: string, value: string) =>
      fetch(`${url}/api/v1/namespaces/default/configmaps/owned?fieldManager=${manager}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/apply-patch+yaml' },
        body: JSON.stringify(configMap('owned', { a: value })),
      });
    expect((await apply('alice', '1')).status).toBe(201);

    // WHEN the server restarts and another manager applies the field
    const second = await restart(first);
    const again = (await second.start()).url;
    const response = await fetch(`${again}/api/v1/namespaces/default/configmaps/owned?fieldManager=bob`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify(configMap('owned', { a: '2' })),
    });

    // THEN it is a conflict with the first manager, as before the restart
    expect(response.status).toBe(409);
    expect(await response.text()).toContain('alice');
  });

  it('answers a watch from before the restart with 410 Expired, and serves one from now', async () => {
    // GIVEN a client that saw revision N before a restart
    const first = server();
    first.objects.create(configMap('a'));
    const seen = first.objects.resourceVersion;
    first.objects.create(configMap('b'));
    const second = await restart(first);
    const { url } = await second.start();
    const watch = async (resourceVersion: string) => {
      const controller = new AbortController();
      const response = await fetch(
        `${url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${resourceVersion}`,
        { signal: controller.signal },
      );
      const reader = response.body!.getReader();
      const first = await Promise.race([
        reader.read().then((r) => new TextDecoder().decode(r.value)),
        new Promise<string>((resolve) => setTimeout(() => resolve(''), 300)),
      ]);
      controller.abort();
      return first;
    };

    // WHEN it resumes its watch from N THEN it is told to relist
    expect(JSON.parse(await watch(seen))).toMatchObject({ type: 'ERROR', object: { code: 410 } });
    // AND a watch from the current revision gets the next change
    const current = second.objects.resourceVersion;
    setTimeout(() => second.objects.create(configMap('c')), 50);
    expect(JSON.parse(await watch(current))).toMatchObject({
      type: 'ADDED',
      object: { metadata: { name: 'c' } },
    });
  });

  it('lets one process at a time use a directory, and takes over the lock of a dead one', async () => {
    // GIVEN a directory in use by a live process
    const { child } = await inKilledProcess('return 1;', { stay: true });
    try {
      // WHEN this process opens it THEN it is refused, naming the owner
      expect(() => new FileStoreLog({ dir }).load()).toThrow(`in use by process ${child.pid}`);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // AND once the owner died without closing, it can be opened, and not twice in one process
    const opened = server();
    expect(opened.restored).toBe(true);
    expect(() => new FileStoreLog({ dir }).load()).toThrow('already open in this process');
  });

  it('refuses a write to a closed store rather than losing it silently', async () => {
    const first = server();
    await restart(first);
    expect(() => first.objects.create(configMap('late'))).toThrow('the store log is not open');
  });
});
