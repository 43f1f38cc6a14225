/**
 * Instances removed from a request, found among the environment's paths, and when their Secrets
 * may go (core status/dropped.ts).
 */
import { droppedInstances, droppedSecretsDeletable } from '../../../src/core/index.js';

const paths = [
  'environments/dev/environment.yaml',
  'environments/dev/infra/db.yaml',
  'environments/dev/infra/cache.yaml',
  'environments/dev/apps/web.yaml',
  'environments/dev/apps/web/deployment.yaml',
  'environments/dev/apps/old.yaml',
  'environments/dev/apps/old/service.yaml',
];

describe('droppedInstances', () => {
  it.each([
    ['nothing dropped', 'infra', ['db', 'cache', 'web'], []],
    ['an infra instance dropped', 'infra', ['db', 'web'], ['cache']],
    ['an app dropped, its manifests counted once', 'apps', ['db', 'cache', 'web'], ['old']],
    ['every app dropped, in path order', 'apps', [], ['web', 'old']],
  ] as const)('%s', (_name, part, kept, expected) => {
    expect(droppedInstances({ environment: 'dev', part, paths, kept: new Set(kept) })).toEqual(expected);
  });
});

describe('droppedSecretsDeletable', () => {
  const paths = {
    platform: ['environments/dev/environment.yaml', 'environments/dev/infra/db.yaml'],
    apps: ['environments/dev/apps/web.yaml', 'environments/dev/apps/web/deployment.yaml'],
  };
  it.each([
    ['a kept instance keeps its Secret', ['db', 'web', 'cache'], [], [], []],
    ['a removed instance whose steps are gone', ['db', 'web'], [], [], ['cache']],
    ['not while its infra file is in Git', ['web'], [], [], ['cache']],
    ['not while its app files are in Git', ['db'], [], [], ['cache']],
    ['not while its Application is in the cluster', ['db', 'web'], ['cache'], [], []],
    ['not while its Workspace is (terraform destroy reads the Secret)', ['db', 'web'], [], ['cache'], []],
    ['only the instance whose steps are gone', [], ['web'], ['db'], ['cache']],
  ] as const)('%s', (_name, kept, liveApplications, liveWorkspaces, expected) => {
    // GIVEN envcat's Secrets of db, web and cache; db's infra file and web's app files in Git
    expect(
      droppedSecretsDeletable({
        environment: 'dev',
        kept: new Set(kept),
        withSecrets: ['db', 'web', 'cache', 'cache'],
        paths,
        liveApplications,
        liveWorkspaces,
      }),
    ).toEqual(expected);
  });
});
