/**
 * The files functions/README.md hands to `crossplane render` and `crossplane xpkg build` are what
 * those commands expect, and the render example shows phase 2 as documented.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYamlDocument } from '../../src/core/index.js';
import { EnvcatFunction } from '../../functions/function.js';
import { FUNCTION_NAME } from '../../functions/xrd.js';
import { CrdRegistry } from '../conformance/crds.js';
import { formatProblems } from '../conformance/problems.js';
import { REPO_ROOT, SHARED_CRDS } from '../support/examples.js';
import { desiredResources, request, startFunction, type Obj, type RunningFunction } from './support.js';

const read = (...path: string[]) => parseYamlDocument(readFileSync(join(REPO_ROOT, ...path), 'utf8')) as Obj;

let fn: RunningFunction;
beforeAll(async () => {
  fn = await startFunction(new EnvcatFunction({ now: () => new Date('2025-01-01T00:00:00Z') }));
});
afterAll(() => fn.close());

describe('functions/examples and functions/package', () => {
  it('render the documented phase 2 from the example XR and the observed Workspace', async () => {
    // GIVEN what `crossplane render --observed-resources functions/examples/observed-db-available.yaml` sends
    const observed = read('functions', 'examples', 'observed-db-available.yaml') as Obj & {
      metadata: { annotations: Record<string, string> };
    };
    const key = observed.metadata.annotations['crossplane.io/composition-resource-name'] as string;
    const rsp = await fn.run(
      request({
        xr: read('compositions', 'examples', 'dev-feature-auth.yaml'),
        observed: { [key]: observed },
      }),
    );
    // THEN the Applications are composed, the Workspace is ready
    const resources = desiredResources(rsp);
    expect(Object.keys(resources).sort()).toEqual([
      'apps-app',
      'apps-monitoring',
      'env-networkpolicy-envcat-isolate-namespace',
      'infra-db',
    ]);
    expect(resources['infra-db']?.ready).toBe('READY_TRUE');
  });

  it('point crossplane render at the running function, under the name the Composition uses', () => {
    const functions = read('functions', 'examples', 'functions.yaml') as {
      metadata: { name: string; annotations: Record<string, string> };
    };
    expect(functions.metadata.name).toBe(FUNCTION_NAME);
    expect(functions.metadata.annotations).toEqual({
      'render.crossplane.io/runtime': 'Development',
      'render.crossplane.io/runtime-development-target': '127.0.0.1:9443',
    });
    if (existsSync(SHARED_CRDS))
      expect(formatProblems('functions.yaml', new CrdRegistry(SHARED_CRDS).validate(functions))).toEqual([]);
  });

  it('describe the package: a composition Function for Crossplane v2', () => {
    expect(read('functions', 'package', 'crossplane.yaml')).toMatchObject({
      apiVersion: 'meta.pkg.crossplane.io/v1beta1',
      kind: 'Function',
      metadata: { name: FUNCTION_NAME },
      spec: { crossplane: { version: '>=v2.0.0' }, capabilities: ['composition'] },
    });
  });
});
