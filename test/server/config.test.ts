import { InputError } from '../../src/core/index.js';
import { loadConfig } from '../../src/server/config.js';

describe('loadConfig', () => {
  it('defaults to the embedded default: local repos, simulated cluster, port 8080', () => {
    const config = loadConfig({}, {}, 'host');
    expect(config).toMatchObject({
      port: 8080,
      dataDir: '.envcat',
      catalogDirs: ['catalogs'],
      inCluster: false,
      platform: { branch: 'main' },
      apps: { branch: 'main' },
      workspaceApi: 'namespaced',
      gitLocalWrites: 'direct',
      argocdNamespace: 'argocd',
      // a project per environment, rendered by envcat
      argocdProject: 'envcat-{env}',
      simulatorDelayMs: 3000,
      reconcileWorkers: 256,
      simulatorState: 'disk',
      tokens: [],
      refreshAgainMs: 10_000,
      gitRetry: { attempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 },
    });
    expect(config.kubeconfig).toBeUndefined();
    expect(config.platform.url).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
    // one process per data dir: the same leader identity across restarts
    expect(config.identity).toBe('host-embedded');
    expect(loadConfig({ ENVCAT_IDENTITY: 'pod-a' }, {}, 'host').identity).toBe('pod-a');
  });

  it('reads a real-cluster setup with credentials named, not copied', () => {
    const config = loadConfig(
      {
        PORT: '9090',
        KUBECONFIG: '/home/me/.kube/config',
        ENVCAT_PLATFORM_REPO: 'https://git.example.com/platform.git',
        ENVCAT_APPS_REPO: 'https://git.example.com/apps.git',
        ENVCAT_GIT_TOKEN: 's3cret-token',
        ENVCAT_WORKSPACE_API: 'cluster',
        ENVCAT_TOKENS: 'alice:developer:a1,bob:platform:b2',
        ENVCAT_SIMULATOR_DELAY: '250ms',
        ENVCAT_SIMULATOR_MAX_RECONCILE_RATE: '2',
        ENVCAT_GIT_LOCAL_WRITES: 'push',
        ENVCAT_RECONCILE_WORKERS: '32',
      },
      {},
    );
    expect(config.port).toBe(9090);
    expect(config.kubeconfig).toBe('/home/me/.kube/config');
    expect(config.platform).toEqual({
      url: 'https://git.example.com/platform.git',
      branch: 'main',
      credentials: { tokenEnv: 'ENVCAT_GIT_TOKEN' },
    });
    expect(JSON.stringify(config)).not.toContain('s3cret-token');
    expect(config.workspaceApi).toBe('cluster');
    expect(config.tokens).toEqual([
      { name: 'alice', role: 'developer', token: 'a1' },
      { name: 'bob', role: 'platform', token: 'b2' },
    ]);
    expect(config.simulatorDelayMs).toBe(250);
    expect(config.simulatorMaxReconcileRate).toBe(2);
    expect(loadConfig({}).simulatorMaxReconcileRate).toBeUndefined();
    expect(config.gitLocalWrites).toBe('push');
    expect(config.reconcileWorkers).toBe(32);
    expect(loadConfig({ ENVCAT_SIMULATOR_STATE: 'memory' }).simulatorState).toBe('memory');
  });

  it('reads the notification settings; an allow-listed host may be http and internal', () => {
    const config = loadConfig({
      ENVCAT_NOTIFY_URL: 'http://10.0.0.5:9000/hook',
      ENVCAT_NOTIFY_SECRET: 'a-secret-of-16-chars',
      ENVCAT_NOTIFY_ALLOW: ' 10.0.0.5 , *.internal.example.com',
    });
    expect(config.notify).toEqual({
      url: 'http://10.0.0.5:9000/hook',
      secret: 'a-secret-of-16-chars',
      allow: ['10.0.0.5', '*.internal.example.com'],
    });
    expect(loadConfig({}).notify).toEqual({ allow: [] });
  });

  it('reads the web URLs the portal links to, without a trailing slash', () => {
    const config = loadConfig({
      ENVCAT_ARGOCD_URL: 'https://argocd.example.com/',
      ENVCAT_PLATFORM_REPO_WEB_URL: 'https://github.com/acme/platform',
      ENVCAT_APPS_REPO_WEB_URL: 'https://github.com/acme/apps/',
    });
    expect(config.argocdUrl).toBe('https://argocd.example.com');
    expect(config.repoWebUrls).toEqual({
      platform: 'https://github.com/acme/platform',
      apps: 'https://github.com/acme/apps',
    });
    expect(loadConfig({}).argocdUrl).toBeUndefined();
    expect(loadConfig({}).repoWebUrls).toEqual({});
  });

  it('reads how often Argo CD is asked again and how a refused commit is retried', () => {
    const config = loadConfig({
      ENVCAT_REFRESH_AGAIN: '1s',
      ENVCAT_GIT_RETRY_ATTEMPTS: '3',
      ENVCAT_GIT_RETRY_DELAY: '10ms',
      ENVCAT_GIT_RETRY_MAX_DELAY: '2s',
    });
    expect(config.refreshAgainMs).toBe(1_000);
    expect(config.gitRetry).toEqual({ attempts: 3, baseDelayMs: 10, maxDelayMs: 2_000 });
  });

  it('lets flags override the environment', () => {
    expect(loadConfig({ PORT: '1' }, { port: '7070', dataDir: '/tmp/x' })).toMatchObject({
      port: 7070,
      dataDir: '/tmp/x',
    });
  });

  it.each([
    [{ PORT: 'eighty' }, '/PORT'],
    [{ PORT: '70000' }, '/PORT'],
    [{ ENVCAT_WORKSPACE_API: 'both' }, '/ENVCAT_WORKSPACE_API'],
    [{ ENVCAT_GIT_LOCAL_WRITES: 'rsync' }, '/ENVCAT_GIT_LOCAL_WRITES'],
    [{ ENVCAT_TOKENS: 'alice:admin:x' }, '/ENVCAT_TOKENS'],
    [{ ENVCAT_SIMULATOR_DELAY: 'soon' }, '/ENVCAT_SIMULATOR_DELAY'],
    [{ ENVCAT_SIMULATOR_STATE: 'etcd' }, '/ENVCAT_SIMULATOR_STATE'],
    [{ ENVCAT_SIMULATOR_MAX_RECONCILE_RATE: '0' }, '/ENVCAT_SIMULATOR_MAX_RECONCILE_RATE'],
    [{ ENVCAT_RECONCILE_WORKERS: '0' }, '/ENVCAT_RECONCILE_WORKERS'],
    [{ ENVCAT_REFRESH_AGAIN: 'often' }, '/ENVCAT_REFRESH_AGAIN'],
    [{ ENVCAT_REFRESH_AGAIN: '0s' }, '/ENVCAT_REFRESH_AGAIN'],
    [{ ENVCAT_GIT_RETRY_ATTEMPTS: '0' }, '/ENVCAT_GIT_RETRY_ATTEMPTS'],
    [{ ENVCAT_GIT_RETRY_DELAY: '-1s' }, '/ENVCAT_GIT_RETRY_DELAY'],
    [{ ENVCAT_GIT_RETRY_MAX_DELAY: '5' }, '/ENVCAT_GIT_RETRY_MAX_DELAY'],
    [{ KUBECONFIG: '/k' }, '/ENVCAT_PLATFORM_REPO'],
    [{ ENVCAT_TERRAFORM_ALLOW: 'provisioner:*' }, '/ENVCAT_TERRAFORM_ALLOW'],
    [{ ENVCAT_TERRAFORM_ALLOW: 'local-exec' }, '/ENVCAT_TERRAFORM_ALLOW'],
    [{ ENVCAT_ARGOCD_PROJECT: 'Envcat_{env}' }, '/ENVCAT_ARGOCD_PROJECT'],
    [{ ENVCAT_ARGOCD_URL: 'argocd.example.com' }, '/ENVCAT_ARGOCD_URL'],
    [
      { ENVCAT_NOTIFY_URL: 'http://hooks.example.com/x', ENVCAT_NOTIFY_SECRET: 's'.repeat(16) },
      '/ENVCAT_NOTIFY_URL',
    ],
    [{ ENVCAT_NOTIFY_URL: 'https://10.1.2.3/x', ENVCAT_NOTIFY_SECRET: 's'.repeat(16) }, '/ENVCAT_NOTIFY_URL'],
    [{ ENVCAT_NOTIFY_URL: 'https://hooks.example.com/x' }, '/ENVCAT_NOTIFY_SECRET'],
    [{ ENVCAT_NOTIFY_SECRET: 'short' }, '/ENVCAT_NOTIFY_SECRET'],
    [{ ENVCAT_NOTIFY_ALLOW: 'hooks.example.com,http://x/' }, '/ENVCAT_NOTIFY_ALLOW'],
    [{ ENVCAT_APPS_REPO_WEB_URL: 'https://user:token@github.com/acme/apps' }, '/ENVCAT_APPS_REPO_WEB_URL'],
    [{ ENVCAT_PLATFORM_REPO_WEB_URL: 'git@github.com:acme/platform.git' }, '/ENVCAT_PLATFORM_REPO_WEB_URL'],
  ])('rejects %j naming %s', (env, path) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems.map((p) => p.path)).toContain(path);
  });

  it.each<[Record<string, string>, string[]]>([
    [{}, []],
    [{ ENVCAT_TERRAFORM_ALLOW: '' }, []],
    [
      { ENVCAT_TERRAFORM_ALLOW: 'provisioner:local-exec,data:external' },
      ['provisioner:local-exec', 'data:external'],
    ],
    [{ ENVCAT_TERRAFORM_ALLOW: 'backend' }, ['backend']],
  ])('reads ENVCAT_TERRAFORM_ALLOW %j as %j', (env, allowed) => {
    // GIVEN the variable WHEN the config is loaded THEN exactly those Terraform constructs are allowed
    expect(loadConfig(env).terraformAllow).toEqual(new Set(allowed));
  });
});
