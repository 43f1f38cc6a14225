/** The GitOps layout: every path envcat reads or writes, and the selectors it lists its objects with. */
import {
  CATALOG_DIR,
  catalogEntryDir,
  catalogLatestFile,
  catalogStatesFile,
  environmentFile,
  environmentNames,
  environmentOfPath,
  environmentPrefix,
  instanceOfPath,
  isApplicationFile,
  isEnvironmentFile,
  isNamespaceClaimPath,
  managedSelector,
  manifestFile,
  manifestsDir,
  namespaceClaim,
  namespaceClaimDir,
  namespaceFile,
  parseCatalogPath,
  parseCatalogStatesPath,
  parseNamespaceClaim,
  partDir,
  repoOf,
  stepFile,
} from '../../../src/core/index.js';

describe('GitOps layout', () => {
  it.each([
    ['environmentPrefix', environmentPrefix('dev'), 'environments/dev/'],
    ['environmentFile', environmentFile('dev'), 'environments/dev/environment.yaml'],
    ['namespaceFile', namespaceFile('dev'), 'environments/dev/namespace.yaml'],
    ['partDir infra', partDir('dev', 'infra'), 'environments/dev/infra/'],
    ['partDir apps', partDir('dev', 'apps'), 'environments/dev/apps/'],
    ['stepFile infra', stepFile('dev', 'infra', 'db'), 'environments/dev/infra/db.yaml'],
    ['stepFile apps', stepFile('dev', 'apps', 'web'), 'environments/dev/apps/web.yaml'],
    ['manifestsDir', manifestsDir('dev', 'web'), 'environments/dev/apps/web'],
    [
      'manifest in a folder',
      manifestFile('dev', 'web', 'manifests/deploy.yaml'),
      'environments/dev/apps/web/deploy.yaml',
    ],
    [
      'manifest nested',
      manifestFile('dev', 'web', 'k8s/base/svc.yaml'),
      'environments/dev/apps/web/base/svc.yaml',
    ],
    ['manifest at the top', manifestFile('dev', 'web', 'cm.yaml'), 'environments/dev/apps/web/cm.yaml'],
    ['namespaceClaimDir', namespaceClaimDir('team-a'), 'namespaces/team-a'],
    ['catalogEntryDir', catalogEntryDir('postgres', '1.2.0'), `${CATALOG_DIR}/postgres/1.2.0`],
  ])('%s', (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it.each([
    ['infra', 'platform'],
    ['apps', 'apps'],
  ] as const)('keeps %s files in the %s repo', (part, repo) => {
    expect(repoOf(part)).toBe(repo);
  });

  it.each([
    ['environments/dev/environment.yaml', 'dev'],
    ['environments/dev/apps/web/deploy.yaml', 'dev'],
    ['environments/dev', undefined],
    ['namespaces/dev/dev', undefined],
    ['catalog/x/1.0.0/catalog.yaml', undefined],
  ])('the environment of %s is %s', (path, environment) => {
    expect(environmentOfPath(path)).toBe(environment);
  });

  it('names the environments among paths, whatever the file', () => {
    // GIVEN paths of two environments, the directory itself, and paths elsewhere
    const paths = [
      'environments/a/environment.yaml',
      'environments/a/infra/db.yaml',
      'environments/b/',
      'environments/c',
      'namespaces/x/a',
    ];
    // THEN only those with something under them count (a directory marker does: `b/`)
    expect([...environmentNames(paths)].sort()).toEqual(['a', 'b']);
  });

  it.each([
    ['infra', 'environments/dev/infra/db.yaml', 'db'],
    ['apps', 'environments/dev/apps/web.yaml', 'web'],
    ['apps', 'environments/dev/apps/web/deploy.yaml', 'web'],
    ['apps', 'environments/dev/infra/db.yaml', undefined],
    ['infra', 'environments/other/infra/db.yaml', undefined],
    ['infra', 'environments/dev/infra/', undefined],
  ] as const)('the %s instance of %s is %s', (part, path, instance) => {
    expect(instanceOfPath('dev', part, path)).toBe(instance);
  });

  it.each([
    ['environments/dev/apps/web.yaml', true],
    ['environments/dev/apps/web/deploy.yaml', false],
    ['environments/dev/infra/db.yaml', false],
  ])('%s is an Application file: %s', (path, expected) => {
    expect(isApplicationFile(path)).toBe(expected);
  });

  it.each([
    ['environments/dev/environment.yaml', true],
    ['environments/dev/namespace.yaml', false],
    ['environments/dev/apps/environment.yaml.bak', false],
  ])('%s is a request file: %s', (path, expected) => {
    expect(isEnvironmentFile(path)).toBe(expected);
  });

  it('writes a namespace claim that reads back as its namespace and owner', () => {
    const claim = namespaceClaim('team-a', 'dev');
    expect(claim.path).toBe('namespaces/team-a/dev');
    expect(claim.content).toContain('the namespace team-a belongs to the environment dev');
    expect(isNamespaceClaimPath(claim.path)).toBe(true);
    expect(parseNamespaceClaim(claim.path)).toEqual({ namespace: 'team-a', environment: 'dev' });
  });

  it.each(['namespaces/team-a', 'namespaces/team-a/dev/extra', 'environments/dev/x'])(
    '%s is not a claim',
    (path) => expect(parseNamespaceClaim(path)).toBeUndefined(),
  );

  it.each([
    ['catalog/postgres/1.2.0/catalog.yaml', { name: 'postgres', version: '1.2.0', file: 'catalog.yaml' }],
    [
      'catalog/postgres/1.2.0/terraform/main.tf',
      { name: 'postgres', version: '1.2.0', file: 'terraform/main.tf' },
    ],
    ['catalog/postgres/1.2.0', undefined],
    ['environments/postgres/1.2.0/x', undefined],
  ])('reads the catalog path %s', (path, expected) => {
    expect(parseCatalogPath(path)).toEqual(expected);
  });

  it.each([
    ['catalog/postgres/states.yaml', 'postgres'],
    ['catalog/postgres/1.2.0/states.yaml', undefined],
    ['catalog/postgres/latest.yaml', undefined],
    ['catalog/states.yaml', undefined],
    ['environments/postgres/states.yaml', undefined],
  ])('reads the version states path %s', (path, expected) => {
    expect(parseCatalogStatesPath(path)).toEqual(expected);
  });

  it('keeps version states and the latest version beside the version folders, never taken for one', () => {
    // GIVEN the files of an entry WHEN their paths are read THEN none is a version folder's file
    expect(catalogStatesFile('postgres')).toBe('catalog/postgres/states.yaml');
    expect(catalogLatestFile('postgres')).toBe('catalog/postgres/latest.yaml');
    expect(parseCatalogPath(catalogStatesFile('postgres'))).toBeUndefined();
    expect(parseCatalogPath(catalogLatestFile('postgres'))).toBeUndefined();
  });

  it.each([
    [undefined, 'app.kubernetes.io/managed-by=envcat'],
    ['dev', 'app.kubernetes.io/managed-by=envcat,envcat.io/environment=dev'],
  ])('selects envcat objects (environment %s)', (environment, selector) => {
    expect(managedSelector(environment)).toBe(selector);
  });
});
