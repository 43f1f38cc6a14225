/** Instances removed from a request, found among the environment's paths (core status/dropped.ts). */
import { droppedInstances } from '../../../src/core/index.js';

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
