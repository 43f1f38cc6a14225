/**
 * Remotes and credentials: a network remote through a real `git daemon`; an HTTP token that
 * reaches the server as a Basic Authorization header yet never lands in `.git/config`, the clone,
 * logs or error messages; URL parsing and display; the SSH command built from a key file.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { ExternalError, InputError } from '../../src/core/index.js';
import { ensureBareRepo, GitRepo, parseRemote } from '../../src/gitops/index.js';
import { networkAuth } from '../../src/gitops/remote.js';
import {
  createSandbox,
  freePort,
  git,
  gitDaemonAvailable,
  recordingLogger,
  remoteFile,
  remoteSubjects,
  startGitDaemon,
  type Daemon,
  type Sandbox,
} from './support.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox('gitremote');
});
afterAll(async () => {
  await sandbox.cleanup();
});

const TOKEN = 'ghp_Sup3rS3cretT0kenValue_0123456789';
const TOKEN_ENV = 'ENVCAT_TEST_GIT_TOKEN';

/** Every file under a directory, as text (to prove a secret is nowhere in the clone). */
async function allText(dir: string): Promise<string> {
  let text = '';
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await stat(path)).size < 1_000_000) text += await readFile(path, 'latin1');
  }
  return text;
}

function expectNoSecret(text: string) {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
  expect(text).not.toContain(Buffer.from(`oauth2:${TOKEN}`).toString('base64'));
}

describe('a git:// remote served by git daemon', () => {
  let daemon: Daemon | undefined;
  let available = false;
  const base = () => join(sandbox.root, 'served');

  beforeAll(async () => {
    available = await gitDaemonAvailable(sandbox);
    if (!available) {
      console.warn('SKIPPED: the git daemon tests need `git daemon`, which this git installation lacks.');
      return;
    }
    await ensureBareRepo(join(base(), 'platform.git'));
    daemon = await startGitDaemon(sandbox, base());
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('clones, commits, pushes and reads back over the network', async () => {
    if (!available) return;
    const url = `git://127.0.0.1:${daemon!.port}/platform.git`;
    const writer = sandbox.open({ name: 'platform', url, workdir: join(sandbox.root, 'daemon-writer') });
    expect(writer.displayUrl).toBe(url);

    const first = await writer.commit({
      write: [{ path: 'environments/dev/environment.yaml', content: 'name: dev\n' }],
      remove: [],
      message: 'over git://',
    });
    const second = await writer.commit({
      write: [{ path: 'environments/qa/environment.yaml', content: 'name: qa\n' }],
      remove: [],
      message: 'again over git://',
    });

    expect(first.changed && second.changed).toBe(true);
    const bare = join(base(), 'platform.git');
    expect(await remoteSubjects(sandbox, bare)).toEqual(['again over git://', 'over git://']);
    expect(await remoteFile(sandbox, bare, 'environments/dev/environment.yaml')).toBe('name: dev\n');

    const reader = sandbox.open({ name: 'platform', url, workdir: join(sandbox.root, 'daemon-reader') });
    expect(await reader.sync()).toBe(second.sha);
    expect([...(await reader.readTree('environments')).keys()]).toEqual([
      'environments/dev/environment.yaml',
      'environments/qa/environment.yaml',
    ]);
    expect((await reader.log('environments/dev')).map((commit) => commit.sha)).toEqual([first.sha]);
  });

  it('fails with an ExternalError naming the repo when the repository does not exist', async () => {
    if (!available) return;
    const url = `git://127.0.0.1:${daemon!.port}/missing.git`;
    const repo = sandbox.open({ name: 'apps', url, workdir: join(sandbox.root, 'daemon-missing') });
    await expect(repo.sync()).rejects.toBeInstanceOf(ExternalError);
    await expect(repo.sync()).rejects.toThrow(`apps repo (${url})`);
  });
});

describe('an HTTP token', () => {
  let server: Server;
  let port: number;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' });
      response.end('denied');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    process.env[TOKEN_ENV] = TOKEN;
  });
  afterAll(async () => {
    delete process.env[TOKEN_ENV];
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reaches the server as Basic auth (x-access-token) and appears in no error, log or clone file', async () => {
    const workdir = join(sandbox.root, 'http-token-env');
    const logger = recordingLogger();
    const url = `http://127.0.0.1:${port}/org/platform.git`;
    const repo = sandbox.open({
      name: 'platform',
      url,
      workdir,
      credentials: { tokenEnv: TOKEN_ENV },
      logger,
    });
    seen.length = 0;

    let thrown: unknown;
    try {
      await repo.sync();
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ExternalError);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.authorization).toBe(`Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`);
    const error = thrown as ExternalError;
    expect(error.message).toContain(`platform repo (${url})`);
    expectNoSecret(`${error.message}\n${error.stack}\n${String((error.cause as Error)?.message)}`);
    expectNoSecret(JSON.stringify(logger.records));
    const config = await readFile(join(workdir, '.git', 'config'), 'utf8');
    expect(config).toContain(url);
    expect(config.toLowerCase()).not.toContain('extraheader');
    expectNoSecret(await allText(workdir));
  });

  it('read from a file, with the configured user name', async () => {
    const tokenFile = join(sandbox.root, 'token');
    await writeFile(tokenFile, `${TOKEN}\n`);
    const workdir = join(sandbox.root, 'http-token-file');
    const repo = sandbox.open({
      name: 'apps',
      url: `http://127.0.0.1:${port}/org/apps.git`,
      workdir,
      credentials: { tokenFile, username: 'oauth2' },
    });
    seen.length = 0;

    await expect(repo.sync()).rejects.toBeInstanceOf(ExternalError);

    expect(seen[0]!.authorization).toBe(`Basic ${Buffer.from(`oauth2:${TOKEN}`).toString('base64')}`);
    expectNoSecret(await allText(workdir));
  });

  it('never reaches another host (the header is scoped to the remote origin)', async () => {
    const auth = await networkAuth(parseRemote(`https://git.example.test:8443/org/repo.git`), {
      tokenEnv: TOKEN_ENV,
    });
    expect(auth.env.GIT_CONFIG_KEY_0).toBe('http.https://git.example.test:8443/.extraHeader');
    expect(auth.secrets).toContain(TOKEN);
  });

  it('to a closed port fails with an ExternalError that holds no credential, and .git/config stays clean', async () => {
    const closed = await freePort();
    const workdir = join(sandbox.root, 'http-closed');
    const url = `http://127.0.0.1:${closed}/org/platform.git`;
    const repo = sandbox.open({ name: 'platform', url, workdir, credentials: { tokenEnv: TOKEN_ENV } });

    let thrown: unknown;
    try {
      await repo.commit({ write: [{ path: 'x.yaml', content: 'x\n' }], remove: [], message: 'never' });
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ExternalError);
    expect((thrown as ExternalError).code).toBe('EXTERNAL');
    expect((thrown as Error).message).toContain(`platform repo (${url})`);
    expectNoSecret(`${(thrown as Error).message}\n${(thrown as Error).stack}`);
    const config = await readFile(join(workdir, '.git', 'config'), 'utf8');
    expectNoSecret(config);
    expect(config.toLowerCase()).not.toContain('extraheader');
  });

  it('that is not configured in the environment is an InputError naming the variable, not its value', async () => {
    const repo = sandbox.open({
      name: 'platform',
      url: `http://127.0.0.1:${port}/org/platform.git`,
      workdir: join(sandbox.root, 'http-no-token'),
      credentials: { tokenEnv: 'ENVCAT_TEST_UNSET_TOKEN' },
    });
    await expect(repo.sync()).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      path: '/credentials/tokenEnv',
      message: expect.stringContaining('ENVCAT_TEST_UNSET_TOKEN'),
    });
  });

  it('embedded in the URL is refused without echoing it', () => {
    let thrown: unknown;
    try {
      new GitRepo({
        name: 'platform',
        url: `https://user:${TOKEN}@git.example.test/org/repo.git`,
        workdir: join(sandbox.root, 'never'),
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).problems[0]!.path).toBe('/url');
    expectNoSecret((thrown as Error).message);
  });
});

describe('remote URLs', () => {
  it.each([
    [
      'https://user@github.com/org/repo.git',
      'http',
      'https://github.com/org/repo.git',
      'https://github.com/org/repo.git',
    ],
    [
      'http://127.0.0.1:3000/org/repo.git',
      'http',
      'http://127.0.0.1:3000/org/repo.git',
      'http://127.0.0.1:3000/org/repo.git',
    ],
    [
      'ssh://git@git.example.test:2222/org/repo.git',
      'ssh',
      'ssh://git@git.example.test:2222/org/repo.git',
      'ssh://git.example.test:2222/org/repo.git',
    ],
    ['git@github.com:org/repo.git', 'ssh', 'git@github.com:org/repo.git', 'github.com:org/repo.git'],
    [
      'git://127.0.0.1:9418/platform.git',
      'git',
      'git://127.0.0.1:9418/platform.git',
      'git://127.0.0.1:9418/platform.git',
    ],
    ['file:///srv/git/platform.git', 'file', 'file:///srv/git/platform.git', 'file:///srv/git/platform.git'],
    ['/srv/git/platform.git', 'local', '/srv/git/platform.git', '/srv/git/platform.git'],
  ])('%s is a %s remote stored as %s and shown as %s', (url, kind, stored, display) => {
    expect(parseRemote(url)).toMatchObject({ kind, url: stored, displayUrl: display });
  });

  it('makes a relative path absolute, so the clone finds it from its own directory', () => {
    expect(parseRemote('repos/platform.git', { cwd: '/srv/envcat' }).url).toBe(
      '/srv/envcat/repos/platform.git',
    );
  });

  it.each([
    ['ext::sh -c touch% /tmp/pwned'],
    ['ftp://example.test/repo.git'],
    ['ssh://git:pw@host/repo.git'],
    ['user:pw@host:repo.git'],
    [''],
  ])('rejects %j', (url) => {
    expect(() => parseRemote(url)).toThrow(InputError);
  });
});

describe('SSH credentials', () => {
  it('become a GIT_SSH_COMMAND with the key only, batch mode and strict known hosts, safely quoted', async () => {
    const auth = await networkAuth(parseRemote('git@github.com:org/repo.git'), {
      sshKeyFile: "/keys/it's a key",
      knownHostsFile: '/keys/known_hosts',
    });
    expect(auth.env).toEqual({
      GIT_SSH_COMMAND:
        "ssh -i '/keys/it'\\''s a key' -o IdentitiesOnly=yes -o BatchMode=yes " +
        "-o 'UserKnownHostsFile=/keys/known_hosts' -o StrictHostKeyChecking=yes",
    });
  });

  it('are refused for a non-SSH remote', () => {
    expect(
      () =>
        new GitRepo({
          name: 'apps',
          url: 'https://git.example.test/x.git',
          workdir: join(sandbox.root, 'never'),
          credentials: { sshKeyFile: '/keys/id' },
        }),
    ).toThrow(InputError);
  });
});

describe('a GitRepo with no credentials', () => {
  it('keeps working against a plain path with the machine’s global config absent', async () => {
    const { path: bare } = await ensureBareRepo(join(sandbox.root, 'plain.git'));
    const repo = sandbox.open({ name: 'apps', url: bare, workdir: join(sandbox.root, 'plain-work') });
    const result = await repo.commit({
      write: [{ path: 'a.yaml', content: 'a\n' }],
      remove: [],
      message: 'plain',
    });
    expect(result.changed).toBe(true);
    expect((await git(sandbox, bare, 'log', '-1', '--format=%an <%ae>')).trim()).toBe(
      'envcat <envcat@localhost>',
    );
  });
});
