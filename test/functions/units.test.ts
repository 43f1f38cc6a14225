/** The function's pure modules, rule by rule (tables). */
import { InputError, validateEnvironment, type RenderedStep } from '../../src/core/index.js';
import { composedWorkspace } from '../../functions/adapt.js';
import { CatalogCache } from '../../functions/catalog.js';
import { compose } from '../../functions/compose.js';
import {
  DEFAULT_FUNCTION_PROJECT,
  DEFAULT_MANIFESTS_CHART,
  parseInput,
  renderOptionsFor,
} from '../../functions/input.js';
import {
  applicationStepState,
  environmentObjectReady,
  workspaceStepState,
} from '../../functions/readiness.js';
import { listeningAddress } from '../../functions/serve.js';
import { structuralSchema } from '../../functions/xrd.js';
import { builtInCatalog } from '../support/examples.js';
import { compositionInput, workspaceObserved, type Obj } from './support.js';

describe('structuralSchema: JSON Schema to a Kubernetes structural schema', () => {
  it.each([
    ['const becomes a one-value enum with its type', { const: 'x' }, { enum: ['x'], type: 'string' }],
    [
      'an enum without a type gets the type of its values',
      { enum: ['a', 'b'] },
      { enum: ['a', 'b'], type: 'string' },
    ],
    ['integer enums are integers', { enum: [1, 2] }, { enum: [1, 2], type: 'integer' }],
    [
      'additionalProperties: false is left to pruning',
      { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } },
      { type: 'object', properties: { a: { type: 'string' } } },
    ],
    [
      'a free-form object keeps unknown fields',
      { type: 'object', propertyNames: { pattern: '^[a-z]+$' } },
      { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    ],
    [
      'a map keeps its value schema',
      { type: 'object', additionalProperties: { type: 'string', maxLength: 3 } },
      { type: 'object', additionalProperties: { type: 'string', maxLength: 3 } },
    ],
    [
      'arrays convert their items; $id goes',
      { $id: 'x', type: 'array', minItems: 1, items: { const: true } },
      { type: 'array', minItems: 1, items: { enum: [true], type: 'boolean' } },
    ],
  ])('%s', (_name, input, output) => {
    expect(structuralSchema(input as never)).toEqual(output);
  });

  it.each([
    [
      'oneOf',
      { properties: { a: { oneOf: [{ type: 'string' }] } }, type: 'object' },
      '#/properties/a: "oneOf"',
    ],
    ['$ref', { type: 'object', properties: { b: { $ref: '#/$defs/b' } } }, '#/properties/b: "$ref"'],
    ['a union type', { type: ['string', 'null'] }, 'a union type'],
    ['an untyped node', { minLength: 1 }, 'without a type'],
    ['a mixed enum', { enum: ['a', 1] }, 'enum mixes types'],
  ])('refuses %s, saying where', (_name, input, message) => {
    expect(() => structuralSchema(input as never)).toThrow(message);
  });
});

describe('readiness of what the function composes, from observed state', () => {
  it.each([
    ['nothing observed', undefined, false],
    ['an Active Namespace', { kind: 'Namespace', metadata: {}, status: { phase: 'Active' } }, true],
    ['a Terminating Namespace', { kind: 'Namespace', metadata: {}, status: { phase: 'Terminating' } }, false],
    ['a ResourceQuota the quota controller has not seen', { kind: 'ResourceQuota', metadata: {} }, false],
    [
      'a ResourceQuota with status.hard',
      { kind: 'ResourceQuota', metadata: {}, status: { hard: { pods: '2' } } },
      true,
    ],
    ['a NetworkPolicy that exists', { kind: 'NetworkPolicy', metadata: {} }, true],
    [
      'a LimitRange being deleted',
      { kind: 'LimitRange', metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' } },
      false,
    ],
  ])('readiness of %s', (_name, observed, ready) => {
    expect(environmentObjectReady(observed as Obj | undefined)).toBe(ready);
  });

  const workspace = {
    apiVersion: 'tf.m.upbound.io/v1beta1',
    kind: 'Workspace',
    metadata: { name: 'w' },
    spec: {},
  };
  it.each([
    ['not observed yet', undefined, 'Progressing', 'NotApplied'],
    ['Available and synced', workspaceObserved(workspace, 'available'), 'Ready', 'Available'],
    ['creating', workspaceObserved(workspace, 'creating'), 'Progressing', 'Creating'],
    ['failing to reconcile', workspaceObserved(workspace, 'failed'), 'Failed', 'ReconcileError'],
    [
      'Available for an older generation',
      { ...workspaceObserved(workspace, 'available'), metadata: { name: 'w', generation: 2 } },
      'Progressing',
      'Reconciling',
    ],
  ])('the step state of a Workspace %s', (_name, observed, phase, reason) => {
    expect(workspaceStepState(observed as Obj | undefined)).toMatchObject({ phase, reason });
  });

  const application = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'a' },
    spec: { source: { repoURL: 'https://charts.example', chart: 'c', targetRevision: '1.0.0' } },
  };
  const status = (source: Obj, health: string, sync = 'Synced') => ({
    ...application,
    status: { sync: { status: sync, revision: '1.0.0', comparedTo: { source } }, health: { status: health } },
  });
  it.each([
    ['not observed yet', undefined, 'Progressing', 'NotApplied'],
    [
      'Synced and Healthy at the composed source',
      status(application.spec.source, 'Healthy'),
      'Ready',
      'Healthy',
    ],
    [
      'Synced and Healthy at an older source',
      status({ ...application.spec.source, targetRevision: '0.9.0' }, 'Healthy'),
      'Progressing',
      'OutdatedSource',
    ],
    [
      'Synced and Healthy on the previous Helm values',
      status({ ...application.spec.source, helm: { valuesObject: { replicas: 1 } } }, 'Healthy'),
      'Progressing',
      'OutdatedSource',
    ],
    ['Degraded', status(application.spec.source, 'Degraded'), 'Failed', 'Degraded'],
    [
      'OutOfSync and Progressing',
      status(application.spec.source, 'Progressing', 'OutOfSync'),
      'Progressing',
      'OutOfSync/Progressing',
    ],
  ])('the step state of an Application %s', (_name, observed, phase, reason) => {
    expect(applicationStepState(observed as Obj | undefined, application)).toMatchObject({ phase, reason });
  });
});

describe('composedWorkspace: secret Terraform variables from their Secrets', () => {
  const rendered: RenderedStep = {
    step: 'db/infra',
    files: [
      {
        repo: 'platform',
        path: 'environments/e/infra/db.yaml',
        content:
          'apiVersion: tf.m.upbound.io/v1beta1\nkind: Workspace\nmetadata:\n  name: e-db\nspec:\n  forProvider:\n    source: Inline\n    module: x\n    varFiles:\n      - source: SecretKey\n',
      },
    ],
    secrets: [
      {
        namespace: 'e',
        name: 'e-db-params',
        labels: {},
        keys: [],
        tfvars: [
          {
            variable: 'token',
            source: {
              kind: 'output',
              reference: {
                instance: 'db',
                parameter: 'token',
                from: 'vault',
                output: 'token',
                sensitive: true,
                pointer: '',
              },
            },
          },
          { variable: 'password', source: { kind: 'secretRef', name: 'db-creds', key: 'pw' } },
        ],
      },
    ],
  };
  const env = { name: 'e', namespace: 'e' } as never;

  it.each([
    [
      'namespaced',
      [
        { name: 'TF_VAR_password', secretKeyRef: { name: 'db-creds', key: 'pw' } },
        { name: 'TF_VAR_token', secretKeyRef: { name: 'e-vault-outputs', key: 'token' } },
      ],
    ],
    [
      'cluster',
      [
        { name: 'TF_VAR_password', secretKeyRef: { name: 'db-creds', key: 'pw', namespace: 'e' } },
        { name: 'TF_VAR_token', secretKeyRef: { name: 'e-vault-outputs', key: 'token', namespace: 'e' } },
      ],
    ],
  ] as const)(
    '%s Workspace API: env from the user Secret and the producer connection Secret, no varFiles',
    (api, env_) => {
      const workspace = composedWorkspace({ env, rendered, workspaceApi: api }) as {
        spec: { forProvider: Obj };
      };
      expect(workspace.spec.forProvider.varFiles).toBeUndefined();
      expect(workspace.spec.forProvider.env).toEqual(env_);
    },
  );

  it('refuses a literal secret (resolveComposite keeps them out)', () => {
    const literal = structuredClone(rendered);
    (literal.secrets[0] as { tfvars: unknown[] }).tfvars = [
      { variable: 'p', source: { kind: 'literal', value: 'v' } },
    ];
    expect(() => composedWorkspace({ env, rendered: literal, workspaceApi: 'namespaced' })).toThrow(
      'literal',
    );
  });
});

describe('the function input', () => {
  it('applies the defaults', () => {
    const settings = parseInput({
      apiVersion: 'fn.envcat.io/v1alpha1',
      kind: 'Input',
      catalog: [{ source: 'x', files: [{ path: 'catalog.yaml', content: '' }] }],
    });
    expect(settings.render).toMatchObject({
      workspaceApi: 'namespaced',
      providerConfig: 'default',
      argocd: { namespace: 'argocd', project: DEFAULT_FUNCTION_PROJECT },
    });
    expect(settings.manifestsChart).toEqual(DEFAULT_MANIFESTS_CHART);
  });

  it.each([
    ['a wrong kind', { apiVersion: 'fn.envcat.io/v1alpha1', kind: 'Resources', catalog: [] }, '/kind'],
    ['an empty catalog', { apiVersion: 'fn.envcat.io/v1alpha1', kind: 'Input', catalog: [] }, '/catalog'],
    [
      'an unknown render setting',
      {
        apiVersion: 'fn.envcat.io/v1alpha1',
        kind: 'Input',
        render: { workspaceAPI: 'cluster' },
        catalog: [{ source: 'x', files: [{ path: 'a', content: '' }] }],
      },
      '/render/workspaceAPI',
    ],
  ])('reports %s at its pointer', (_name, input, path) => {
    try {
      parseInput(input);
      throw new Error('no error');
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).problems.map((p) => p.path)).toContain(path);
    }
  });

  it("puts a namespaced XR's Applications beside it, and keeps the argocd namespace for a cluster XR", () => {
    const settings = parseInput(compositionInput());
    expect(renderOptionsFor(settings, { scope: 'Namespaced', namespace: 'team-a' }).argocd.namespace).toBe(
      'team-a',
    );
    expect(renderOptionsFor(settings, { scope: 'Cluster' }).argocd.namespace).toBe('argocd');
  });
});

describe('CatalogCache', () => {
  const entries = parseInput(compositionInput()).catalog;

  it('builds a catalog once per distinct input, the same one the engine loads from catalogs/', async () => {
    const cache = new CatalogCache();
    const first = cache.load(entries);
    expect(cache.load(structuredClone(entries))).toBe(first);
    const built = await first;
    const engine = await builtInCatalog();
    expect(built.entries().map((e) => `${e.name}@${e.version} ${e.digest}`)).toEqual(
      engine.entries().map((e) => `${e.name}@${e.version} ${e.digest}`),
    );
  });

  it('reports an invalid entry at its place in the input, and does not keep the failure', async () => {
    const cache = new CatalogCache();
    const broken = [
      { source: 'catalogs/broken', files: [{ path: 'catalog.yaml', content: 'kind: CatalogEntry\n' }] },
    ];
    const first = cache.load(broken);
    await expect(first).rejects.toMatchObject({
      problems: expect.arrayContaining([
        { path: '/catalog/0', message: 'catalogs/broken/catalog.yaml#/metadata: is required' },
      ]),
    });
    expect(cache.load(broken)).not.toBe(first);
    await expect(cache.load(broken)).rejects.toBeInstanceOf(InputError);
  });
});

describe('compose: outputs that do not come', () => {
  async function setup() {
    const catalog = await builtInCatalog();
    const { environment, plan } = validateEnvironment(
      {
        apiVersion: 'envcat.io/v1alpha1',
        kind: 'Environment',
        metadata: { name: 'dev' },
        spec: {
          namespace: 'dev',
          type: 'pre-release',
          catalogs: [
            { name: 'db', entry: 'rds-postgres', parameters: { databaseName: 'd' } },
            {
              name: 'app',
              entry: 'sample-app',
              parameters: { databaseEndpoint: { fromOutput: 'db.endpoint' } },
            },
          ],
        },
      },
      catalog,
    );
    const base = {
      env: environment,
      plan,
      placement: { scope: 'Namespaced', namespace: 'dev' } as const,
      render: renderOptionsFor(parseInput(compositionInput()), { scope: 'Namespaced', namespace: 'dev' }),
      chart: DEFAULT_MANIFESTS_CHART,
      now: new Date(0),
    };
    const first = compose({ ...base, observed: {} });
    return { base, first };
  }

  it('does not compose an app whose input the Available Workspace does not report, and says so', async () => {
    const { base, first } = await setup();
    const db = workspaceObserved(first.resources['infra-db']?.object as Obj, 'available', { port: 5432 });
    const result = compose({ ...base, observed: { 'infra-db': db } });
    expect(result.resources['apps-app']).toBeUndefined();
    expect(result.results).toEqual([
      {
        severity: 'Warning',
        reason: 'OutputsMissing',
        message: 'app/apps waits for db.endpoint: no value reported yet',
      },
    ]);
    expect(result.status.phase).toBe('InfrastructureReady');
  });

  it('keeps an Application composed before as it is when its input goes missing', async () => {
    const { base, first } = await setup();
    const db = workspaceObserved(first.resources['infra-db']?.object as Obj, 'available', {
      endpoint: 'db.example',
    });
    const second = compose({ ...base, observed: { 'infra-db': db } });
    const app = second.resources['apps-app']?.object as Obj;
    const third = compose({
      ...base,
      observed: { 'infra-db': workspaceObserved(db, 'available', {}), 'apps-app': { ...app, status: {} } },
    });
    expect(third.resources['apps-app']?.object).toEqual(app);
    expect(third.results.map((r) => r.reason)).toEqual(['OutputsMissing']);
  });
});

describe('listeningAddress: where the server says it listens', () => {
  it.each([
    ['a configured port, as given', '0.0.0.0:9443', 9443, '0.0.0.0:9443'],
    ['a configured port without a host, as given', ':9443', 9443, ':9443'],
    ['port 0: the port the OS picked', '127.0.0.1:0', 41234, '127.0.0.1:41234'],
    ['port 0 on IPv6: the port the OS picked', '[::1]:0', 41234, '[::1]:41234'],
    ['a port ending in 0 is not port 0', '127.0.0.1:9440', 9440, '127.0.0.1:9440'],
  ])('%s', (_name, asked, port, said) => {
    expect(listeningAddress(asked, port)).toBe(said);
  });
});
