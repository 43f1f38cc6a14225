/** RepoTree: the engine's index of a repo's environments/ tree. */
import { LABEL, sourceDigest, toYaml } from '../../src/core/index.js';
import { RepoTree } from '../../src/engine/repo-tree.js';

const tree = () =>
  new RepoTree([
    ['environments/dev/environment.yaml', 'name: dev\n'],
    ['environments/dev/infra/db.yaml', 'kind: Workspace\n'],
    ['environments/dev/apps/web.yaml', 'kind: Application\n'],
    ['environments/dev/apps/web/deploy.yaml', 'kind: Deployment\n'],
    ['environments/dev-2/environment.yaml', 'name: dev-2\n'],
  ]);

describe('RepoTree', () => {
  it('keeps the requests whole and only a digest of rendered files', () => {
    const t = tree();
    expect(t.request('environments/dev/environment.yaml')).toBe('name: dev\n');
    expect(t.request('environments/dev/infra/db.yaml')).toBeUndefined();
    expect(t.holds('environments/dev/infra/db.yaml', 'kind: Workspace\n')).toBe(true);
    expect(t.holds('environments/dev/infra/db.yaml', 'kind: Workspace \n')).toBe(false);
    expect(t.holds('environments/dev/infra/gone.yaml', '')).toBe(false);
    expect(t.holds('environments/dev/environment.yaml', 'name: dev\n')).toBe(true);
  });

  it('keeps the digest of the source of each Application file, and follows its changes', () => {
    // GIVEN an Application file with Helm values
    const source = {
      repoURL: 'https://charts',
      chart: 'c',
      targetRevision: '1.0.0',
      helm: { valuesObject: { a: 1 } },
    };
    const application = (s: unknown) =>
      toYaml({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'x' },
        spec: { source: s },
      });
    const t = new RepoTree([['environments/dev/apps/web.yaml', application(source)]]);
    // THEN its digest is the source's; manifests and other files have none
    expect(t.sourceDigest('environments/dev/apps/web.yaml')).toBe(sourceDigest(source));
    t.set('environments/dev/apps/web/deploy.yaml', toYaml({ kind: 'Application', spec: { source } }));
    expect(t.sourceDigest('environments/dev/apps/web/deploy.yaml')).toBeUndefined();
    // WHEN the values change, or the file goes
    const changed = { ...source, helm: { valuesObject: { a: 2 } } };
    t.set('environments/dev/apps/web.yaml', application(changed));
    expect(t.sourceDigest('environments/dev/apps/web.yaml')).toBe(sourceDigest(changed));
    t.remove('environments/dev/apps/');
    expect(t.sourceDigest('environments/dev/apps/web.yaml')).toBeUndefined();
  });

  it('reads an Application from the object its file is the YAML of as it would from the file', () => {
    // keys out of the file's canonical order, an empty member the digest ignores
    const application = {
      spec: { source: { targetRevision: '1.0.0', repoURL: 'https://charts', chart: 'c', path: '' } },
      metadata: { labels: { [LABEL.entryVersion]: '1.2.0' }, name: 'x' },
      kind: 'Application',
      apiVersion: 'argoproj.io/v1alpha1',
    };
    const path = 'environments/dev/apps/web.yaml';
    const [parsed, given] = [new RepoTree(), new RepoTree()];
    parsed.set(path, toYaml(application));
    given.set(path, toYaml(application), application);
    expect(given.sourceDigest(path)).toBe(parsed.sourceDigest(path));
    expect(given.entryVersion(path)).toBe('1.2.0');
    expect(parsed.entryVersion(path)).toBe('1.2.0');
    expect(given.holds(path, toYaml(application))).toBe(true);
  });

  it('indexes paths by environment, a name that prefixes another apart', () => {
    const t = tree();
    expect([...t.environments()].sort()).toEqual(['dev', 'dev-2']);
    expect([...t.pathsOf('dev')]).toHaveLength(4);
    expect([...t.pathsOf('dev-2')]).toEqual(['environments/dev-2/environment.yaml']);
    expect(t.pathsOf('qa').size).toBe(0);
    expect(t.hasUnder('dev', 'environments/dev/apps/')).toBe(true);
    expect(t.hasUnder('dev-2', 'environments/dev-2/apps/')).toBe(false);
  });

  it.each<[string, string, string[]]>([
    [
      'a file',
      'environments/dev/apps/web.yaml',
      [
        'environments/dev/apps/web/deploy.yaml',
        'environments/dev/environment.yaml',
        'environments/dev/infra/db.yaml',
      ],
    ],
    [
      'a directory',
      'environments/dev/apps/',
      ['environments/dev/environment.yaml', 'environments/dev/infra/db.yaml'],
    ],
    ['a whole environment', 'environments/dev/', []],
    [
      'a path that is not there',
      'environments/dev/apps/api.yaml',
      [
        'environments/dev/apps/web.yaml',
        'environments/dev/apps/web/deploy.yaml',
        'environments/dev/environment.yaml',
        'environments/dev/infra/db.yaml',
      ],
    ],
  ])('removes %s and nothing of its neighbours', (_case, removed, left) => {
    const t = tree();
    t.remove(removed);
    expect([...t.pathsOf('dev')].sort()).toEqual(left);
    expect([...t.pathsOf('dev-2')]).toHaveLength(1);
    expect([...t.environments()].includes('dev')).toBe(left.length > 0);
  });

  it('tells which paths changed between two trees', () => {
    const before = tree();
    const after = tree();
    after.set('environments/dev/infra/db.yaml', 'kind: Workspace\nspec: {}\n');
    after.remove('environments/dev-2/');
    after.set('environments/qa/environment.yaml', 'name: qa\n');
    expect([...RepoTree.changed(before, after)].sort()).toEqual([
      'environments/dev-2/environment.yaml',
      'environments/dev/infra/db.yaml',
      'environments/qa/environment.yaml',
    ]);
    expect(RepoTree.changed(before, tree()).size).toBe(0);
  });
});
