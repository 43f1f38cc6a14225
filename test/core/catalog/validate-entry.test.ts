/**
 * validateEntry (catalogs/README.md): four valid entries built in memory, then one row per rule, each a small
 * mutation of a valid entry with the exact problem it must produce.
 */
import { stringify } from 'yaml';
import {
  validateEntry,
  type EntryFile,
  type EntrySource,
  type JsonObject,
  type JsonValue,
} from '../../../src/core/catalog/index.js';
import { renderTemplate, scanTemplate } from '../../../src/core/template/index.js';

// ---------------------------------------------------------------------------------------------
// Valid entries
// ---------------------------------------------------------------------------------------------

const IAC_MAIN_TF = `variable "databaseName" {
  type = string
}

variable "size" {
  type    = number
  default = 20
}

variable "password" {
  type      = string
  default   = null
  sensitive = true
}

resource "random_password" "db" {
  length = 16
}
`;

const IAC_OUTPUTS_TF = `output "endpoint" {
  value = "db.example.internal"
}

output "password" {
  value     = coalesce(var.password, random_password.db.result)
  sensitive = true
}
`;

const DEPLOYMENT_YAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: \${{ instance.name }}
  labels:
    app.kubernetes.io/part-of: \${{ environment.name }}
spec:
  replicas: \${{ parameters.replicas }}
  template:
    spec:
      containers:
        - name: web
          image: \${{ parameters.image }}
          env:
            - name: API_TOKEN
              valueFrom: \${{ parameters.apiToken }}
            - name: TOKEN_SECRET
              value: \${{ parameters.apiToken.secretName }}
`;

const CLUSTER_ROLE_YAML = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: \${{ environment.name }}-\${{ instance.name }}-reader
rules:
  - apiGroups: ['']
    resources: [nodes]
    verbs: [get, list, watch]
`;

/** A cluster-scoped CRD and an object of it. */
const CLUSTER_CRD_YAML = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Cluster
  names: { kind: Widget, plural: widgets }
  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object } } }]
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: \${{ environment.name }}-widget
`;

const SERVICE_YAML = `apiVersion: v1
kind: Service
metadata:
  name: \${{ instance.name }}
spec:
  ports:
    - port: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: \${{ instance.name }}-config
data:
  MESSAGE: running in \${{ environment.namespace }}
`;

const AGENT_VALUES_YAML = `datadog:
  site: \${{ parameters.site }}
  apiKeyExistingSecret: \${{ parameters.apiKey.secretName }}
  clusterName: \${{ environment.name }}
  tags:
    - env:\${{ environment.name }}
`;

const HYBRID_MAIN_TF = `variable "databaseName" {
  type = string
}

output "endpoint" {
  value = "db.example.internal"
}

output "port" {
  value = 5432
}

output "password" {
  value     = "generated"
  sensitive = true
}
`;

const HYBRID_VALUES_YAML = `env:
  email: \${{ parameters.adminEmail }}
existingSecret: \${{ parameters.adminPassword.secretName }}
secretKeys:
  passwordKey: \${{ parameters.adminPassword.secretKey }}
server:
  host: \${{ outputs.endpoint }}
  port: \${{ outputs.port }}
  database: \${{ parameters.databaseName }}
  passwordSecret: \${{ outputs.password.secretName }}
`;

interface Fixture {
  dir: string;
  doc: JsonObject;
  files: Record<string, string>;
}

const header = (name: string) => ({
  apiVersion: 'envcat.io/v1alpha1',
  kind: 'CatalogEntry',
  metadata: { name, version: '1.0.0', title: `The ${name} entry`, owner: 'platform-team', tags: ['test'] },
});

const BASES = {
  /** type iac: Terraform variables and outputs matching parameters and outputs. */
  iac: (): Fixture => ({
    dir: 'catalogs/db',
    doc: {
      ...header('db'),
      spec: {
        type: 'iac',
        parameters: {
          type: 'object',
          additionalProperties: false,
          required: ['databaseName'],
          properties: {
            databaseName: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
            size: { type: 'integer', minimum: 20, default: 20 },
            password: {
              type: 'string',
              minLength: 12,
              writeOnly: true,
              'x-envcat-secret': true,
              'x-envcat-secret-key': 'db-password',
            },
          },
        },
        outputs: [
          { name: 'endpoint', schema: { type: 'string' } },
          { name: 'password', schema: { type: 'string' }, sensitive: true },
        ],
        iac: { module: './terraform' },
      },
    },
    files: {
      'terraform/main.tf': IAC_MAIN_TF,
      'terraform/outputs.tf': IAC_OUTPUTS_TF,
      'README.md': '# db\n',
    },
  }),
  /** type yaml with a folder of manifest templates. */
  manifests: (): Fixture => ({
    dir: 'catalogs/web',
    doc: {
      ...header('web'),
      spec: {
        type: 'yaml',
        parameters: {
          type: 'object',
          properties: {
            image: { type: 'string', default: 'nginx:1.27' },
            replicas: { type: 'integer', minimum: 1, default: 1 },
            apiToken: { type: 'string', writeOnly: true, 'x-envcat-secret': true },
          },
        },
        apps: { manifests: './manifests' },
      },
    },
    files: { 'manifests/deployment.yaml': DEPLOYMENT_YAML, 'manifests/service.yaml': SERVICE_YAML },
  }),
  /** type yaml with a Helm chart and a values template. */
  helm: (): Fixture => ({
    dir: 'catalogs/agent',
    doc: {
      ...header('agent'),
      spec: {
        type: 'yaml',
        parameters: {
          type: 'object',
          required: ['apiKey'],
          properties: {
            apiKey: { type: 'string', 'x-envcat-secret': true },
            site: { type: 'string', enum: ['datadoghq.com', 'datadoghq.eu'], default: 'datadoghq.eu' },
          },
        },
        apps: {
          helm: { repoURL: 'https://helm.datadoghq.com', chart: 'datadog', targetRevision: '3.70.0' },
          values: './values.yaml',
        },
      },
    },
    files: { 'values.yaml': AGENT_VALUES_YAML },
  }),
  /** type hybrid: Terraform module plus Helm values that use the module's outputs. */
  hybrid: (): Fixture => ({
    dir: 'catalogs/dbui',
    doc: {
      ...header('dbui'),
      spec: {
        type: 'hybrid',
        parameters: {
          type: 'object',
          required: ['databaseName', 'adminPassword'],
          properties: {
            databaseName: { type: 'string' },
            adminEmail: { type: 'string', default: 'admin@example.com' },
            adminPassword: { type: 'string', minLength: 12, writeOnly: true, 'x-envcat-secret': true },
          },
        },
        outputs: [
          { name: 'endpoint', schema: { type: 'string' } },
          { name: 'port', schema: { type: 'integer' } },
          { name: 'password', schema: { type: 'string' }, sensitive: true },
        ],
        iac: { module: './terraform' },
        apps: {
          helm: { repoURL: 'https://helm.runix.net', chart: 'pgadmin4', targetRevision: '1.37.0' },
          values: './values.yaml',
        },
      },
    },
    files: { 'terraform/main.tf': HYBRID_MAIN_TF, 'values.yaml': HYBRID_VALUES_YAML },
  }),
};

type Base = keyof typeof BASES;

/** Sets (or, with undefined, deletes) the member a JSON pointer names, creating objects on the way. */
function setPointer(doc: JsonObject, path: string, value: JsonValue | undefined): void {
  const tokens = path
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = tokens.pop() as string;
  let node: JsonValue = doc;
  for (const token of tokens) {
    const container = node as Record<string, JsonValue>;
    container[token] ??= {};
    node = container[token] as JsonValue;
  }
  const parent = node as Record<string, JsonValue>;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = value;
}

interface Mutation {
  base: Base;
  /** JSON pointer into catalog.yaml → new value (undefined deletes it). */
  doc?: Record<string, JsonValue | undefined>;
  /** Entry file → new content (null deletes it). */
  files?: Record<string, string | null>;
  /** Replaces catalog.yaml with this text. */
  catalogYaml?: string;
  expectedName?: string;
}

function source(m: Mutation): EntrySource {
  const fixture = BASES[m.base]();
  for (const [path, value] of Object.entries(m.doc ?? {})) setPointer(fixture.doc, path, value);
  const files = { ...fixture.files };
  for (const [path, content] of Object.entries(m.files ?? {})) {
    if (content === null) delete files[path];
    else files[path] = content;
  }
  const entryFiles: EntryFile[] = [
    { path: 'catalog.yaml', content: m.catalogYaml ?? stringify(fixture.doc) },
    ...Object.entries(files).map(([path, content]) => ({ path, content })),
  ];
  return { dir: fixture.dir, files: entryFiles, expectedName: m.expectedName };
}

const CATALOG = {
  iac: 'catalogs/db/catalog.yaml',
  manifests: 'catalogs/web/catalog.yaml',
  helm: 'catalogs/agent/catalog.yaml',
  hybrid: 'catalogs/dbui/catalog.yaml',
};
const DEPLOYMENT = 'catalogs/web/manifests/deployment.yaml';
const SERVICE = 'catalogs/web/manifests/service.yaml';
const RBAC = 'catalogs/web/manifests/rbac.yaml';
const AGENT_VALUES = 'catalogs/agent/values.yaml';
const HYBRID_VALUES = 'catalogs/dbui/values.yaml';
const IAC_MAIN = 'catalogs/db/terraform/main.tf';

const UNSUPPORTED =
  ': use parameters.<name>, outputs.<name>, environment.name, environment.namespace or instance.name';

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('validateEntry: valid entries', () => {
  it.each<[Base, string, Array<{ name: string; key: string }>]>([
    ['iac', 'db', [{ name: 'password', key: 'db-password' }]],
    ['manifests', 'web', [{ name: 'apiToken', key: 'apiToken' }]],
    ['helm', 'agent', [{ name: 'apiKey', key: 'apiKey' }]],
    ['hybrid', 'dbui', [{ name: 'adminPassword', key: 'adminPassword' }]],
  ])('a valid %s entry passes with its secret parameters', async (base, name, secretParameters) => {
    // GIVEN a valid entry whose folder carries its name
    const input = source({ base, expectedName: name });
    // WHEN it is validated
    const result = await validateEntry(input);
    // THEN there is no problem and the entry carries its name, version, source and secrets
    expect(result.problems).toEqual([]);
    expect(result.entry).toMatchObject({
      name,
      version: '1.0.0',
      source: `catalogs/${name}/catalog.yaml`,
      secretParameters,
    });
    expect(result.entry?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('joins the .tf files of an iac module, in path order, into one Inline module', async () => {
    // GIVEN a valid iac entry with two .tf files and a README beside them
    const input = source({ base: 'iac' });
    // WHEN it is validated
    const { entry } = await validateEntry(input);
    // THEN the module is Inline, made of the .tf files only, each preceded by its path
    expect(entry?.module).toEqual({
      source: 'Inline',
      content:
        `# envcat: terraform/main.tf\n${IAC_MAIN_TF.trimEnd()}\n` +
        `\n# envcat: terraform/outputs.tf\n${IAC_OUTPUTS_TF.trimEnd()}\n`,
    });
    // AND the module's interface is known
    expect([...(entry?.terraform?.variables.keys() ?? [])].sort()).toEqual([
      'databaseName',
      'password',
      'size',
    ]);
    expect(entry?.terraform?.variables.get('password')).toMatchObject({
      sensitive: true,
      hasDefault: true,
      defaultIsNull: true,
      file: 'terraform/main.tf',
    });
    expect([...(entry?.terraform?.outputs.keys() ?? [])].sort()).toEqual(['endpoint', 'password']);
    expect(entry?.values).toBeUndefined();
    expect(entry?.manifests).toBeUndefined();
  });

  it('parses every manifest document in path order and has no module', async () => {
    // GIVEN a valid yaml entry with two manifest files, one of them holding two documents
    const input = source({ base: 'manifests' });
    // WHEN it is validated
    const { entry } = await validateEntry(input);
    // THEN its manifests are the parsed templates, expressions untouched
    expect(entry?.manifests?.map((m) => [m.path, m.documents.length])).toEqual([
      ['manifests/deployment.yaml', 1],
      ['manifests/service.yaml', 2],
    ]);
    expect(entry?.manifests?.[0]?.documents[0]).toMatchObject({
      kind: 'Deployment',
      spec: { replicas: '${{ parameters.replicas }}' },
    });
    expect(entry?.module).toBeUndefined();
    expect(entry?.terraform).toBeUndefined();
  });

  it.each<[Base, string]>([
    ['helm', 'values.yaml'],
    ['hybrid', 'values.yaml'],
  ])('a %s entry carries its values template', async (base, path) => {
    // GIVEN a valid entry with a Helm values template
    const input = source({ base });
    // WHEN it is validated
    const { entry } = await validateEntry(input);
    // THEN the values template is one parsed mapping
    expect(entry?.values?.path).toBe(path);
    expect(entry?.values?.documents).toHaveLength(1);
  });

  it.each<Base>(['iac', 'manifests', 'helm', 'hybrid'])(
    'the digest of a %s entry is the same on every call and changes with a file',
    async (base) => {
      // GIVEN the same entry validated twice, and once with one changed file
      const first = await validateEntry(source({ base }));
      const second = await validateEntry(source({ base }));
      const [path, content] = Object.entries(BASES[base]().files)[0] as [string, string];
      const changed = await validateEntry(source({ base, files: { [path]: `${content}\n# changed\n` } }));
      // THEN the digest is stable, and content-addressed
      expect(first.entry?.digest).toBeDefined();
      expect(second.entry?.digest).toBe(first.entry?.digest);
      expect(changed.problems).toEqual([]);
      expect(changed.entry?.digest).not.toBe(first.entry?.digest);
    },
  );

  it('the digest ignores catalog.yaml formatting and key order', async () => {
    // GIVEN the same document written with a comment and reordered keys
    const fixture = BASES.iac();
    const { apiVersion, kind, metadata, spec } = fixture.doc;
    const reordered = `# a comment\n${stringify({ spec, metadata, kind, apiVersion })}`;
    // WHEN both are validated
    const a = await validateEntry(source({ base: 'iac' }));
    const b = await validateEntry(source({ base: 'iac', catalogYaml: reordered }));
    // THEN the digests are equal
    expect(b.problems).toEqual([]);
    expect(b.entry?.digest).toBe(a.entry?.digest);
  });

  it('accepts a Remote module without Terraform checks', async () => {
    // GIVEN an iac entry whose module is a git address and that ships no .tf files
    const address = 'git::https://github.com/example/terraform-aws-rds.git?ref=v1.2.0';
    const input = source({
      base: 'iac',
      doc: {
        '/spec/iac/module': address,
        // parameters and outputs that no module here could confirm
        '/spec/parameters/properties/unknownToTerraform': { type: 'string', default: 'x' },
        '/spec/outputs/2': { name: 'notInAnyModule', schema: { type: 'string' } },
      },
      files: { 'terraform/main.tf': null, 'terraform/outputs.tf': null },
    });
    // WHEN it is validated
    const result = await validateEntry(input);
    // THEN it passes as a Remote module, with no Terraform interface
    expect(result.problems).toEqual([]);
    expect(result.entry?.module).toEqual({ source: 'Remote', address });
    expect(result.entry?.terraform).toBeUndefined();
  });

  it('reports a missing catalog.yaml', async () => {
    // GIVEN an entry without catalog.yaml
    const input: EntrySource = { dir: 'catalogs/db', files: [{ path: 'terraform/main.tf', content: '' }] };
    // WHEN it is validated
    const result = await validateEntry(input);
    // THEN that is the one problem
    expect(result).toEqual({
      problems: [{ file: 'catalogs/db/catalog.yaml', path: '', message: 'catalog.yaml is missing' }],
    });
  });
});

interface Rule extends Mutation {
  rule: string;
  problem: { file: string; path: unknown; message: unknown };
}

const has = (text: string) => expect.stringContaining(text);

const rules: Rule[] = [
  // --- the document ---------------------------------------------------------------------------
  {
    rule: 'invalid YAML',
    base: 'iac',
    catalogYaml: 'apiVersion: envcat.io/v1alpha1\nkind: [CatalogEntry\n',
    problem: { file: CATALOG.iac, path: '', message: has('invalid YAML') },
  },
  {
    rule: 'a duplicate key is invalid YAML',
    base: 'iac',
    catalogYaml: 'apiVersion: envcat.io/v1alpha1\nkind: CatalogEntry\nkind: CatalogEntry\n',
    problem: {
      file: CATALOG.iac,
      path: '',
      message: has('invalid YAML at line 3, column 1: a mapping key is repeated'),
    },
  },
  {
    rule: 'wrong apiVersion',
    base: 'iac',
    doc: { '/apiVersion': 'envcat.io/v1' },
    problem: { file: CATALOG.iac, path: '/apiVersion', message: 'must be "envcat.io/v1alpha1"' },
  },
  {
    rule: 'wrong kind',
    base: 'iac',
    doc: { '/kind': 'Entry' },
    problem: { file: CATALOG.iac, path: '/kind', message: 'must be "CatalogEntry"' },
  },
  {
    rule: 'unknown top-level field',
    base: 'iac',
    doc: { '/status': { ready: true } },
    problem: { file: CATALOG.iac, path: '/status', message: 'is not a known property' },
  },
  {
    rule: 'unknown spec field',
    base: 'iac',
    doc: { '/spec/terraform': { module: './terraform' } },
    problem: { file: CATALOG.iac, path: '/spec/terraform', message: 'is not a known property' },
  },
  {
    rule: 'missing metadata',
    base: 'iac',
    doc: { '/metadata': undefined },
    problem: { file: CATALOG.iac, path: '/metadata', message: 'is required' },
  },
  {
    rule: 'unknown spec.type',
    base: 'iac',
    doc: { '/spec/type': 'helm' },
    problem: { file: CATALOG.iac, path: '/spec/type', message: 'must be one of: "iac", "yaml", "hybrid"' },
  },
  {
    rule: 'metadata.name with upper case and "_" is not DNS-1123',
    base: 'iac',
    doc: { '/metadata/name': 'My_DB' },
    problem: {
      file: CATALOG.iac,
      path: '/metadata/name',
      message: 'is not in the expected form (pattern ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$)',
    },
  },
  {
    rule: 'metadata.name ending in "-" is not DNS-1123',
    base: 'iac',
    doc: { '/metadata/name': 'db-' },
    problem: { file: CATALOG.iac, path: '/metadata/name', message: has('is not in the expected form') },
  },
  {
    rule: 'metadata.name longer than 63 characters',
    base: 'iac',
    doc: { '/metadata/name': 'a'.repeat(64) },
    problem: { file: CATALOG.iac, path: '/metadata/name', message: 'must be at most 63 characters long' },
  },
  {
    rule: 'metadata.name differs from the folder name',
    base: 'iac',
    expectedName: 'database',
    problem: { file: CATALOG.iac, path: '/metadata/name', message: 'must equal the folder name "database"' },
  },
  {
    rule: 'version "1.0" is not semver',
    base: 'iac',
    doc: { '/metadata/version': '1.0' },
    problem: {
      file: CATALOG.iac,
      path: '/metadata/version',
      message: 'must be a semantic version such as 1.2.3',
    },
  },
  {
    rule: 'version "^1.0.0" (a range) is not semver',
    base: 'iac',
    doc: { '/metadata/version': '^1.0.0' },
    problem: {
      file: CATALOG.iac,
      path: '/metadata/version',
      message: 'must be a semantic version such as 1.2.3',
    },
  },
  {
    rule: 'version "v1.0.0" is not a plain semver',
    base: 'iac',
    doc: { '/metadata/version': 'v1.0.0' },
    problem: {
      file: CATALOG.iac,
      path: '/metadata/version',
      message: 'must be a semantic version such as 1.2.3',
    },
  },
  {
    rule: 'version "1.0.0.0" is not semver',
    base: 'iac',
    doc: { '/metadata/version': '1.0.0.0' },
    problem: {
      file: CATALOG.iac,
      path: '/metadata/version',
      message: 'must be a semantic version such as 1.2.3',
    },
  },

  // --- parts by type --------------------------------------------------------------------------
  {
    rule: 'type iac without iac',
    base: 'iac',
    doc: { '/spec/iac': undefined },
    problem: { file: CATALOG.iac, path: '/spec/iac', message: 'is required for type iac' },
  },
  {
    rule: 'type iac with apps',
    base: 'iac',
    doc: { '/spec/apps': { manifests: './manifests' } },
    problem: { file: CATALOG.iac, path: '/spec/apps', message: 'is not allowed for type iac' },
  },
  {
    rule: 'type yaml with iac',
    base: 'helm',
    doc: { '/spec/iac': { module: './terraform' } },
    problem: { file: CATALOG.helm, path: '/spec/iac', message: 'is not allowed for type yaml' },
  },
  {
    rule: 'type yaml without apps',
    base: 'helm',
    doc: { '/spec/apps': undefined },
    problem: { file: CATALOG.helm, path: '/spec/apps', message: 'is required for type yaml' },
  },
  {
    rule: 'type hybrid without apps',
    base: 'hybrid',
    doc: { '/spec/apps': undefined },
    problem: { file: CATALOG.hybrid, path: '/spec/apps', message: 'is required for type hybrid' },
  },
  {
    rule: 'type yaml declaring outputs',
    base: 'helm',
    doc: { '/spec/outputs': [{ name: 'url', schema: { type: 'string' } }] },
    problem: {
      file: CATALOG.helm,
      path: '/spec/outputs',
      message: 'only entries with an iac part produce outputs',
    },
  },
  {
    rule: 'apps with both helm and manifests',
    base: 'helm',
    doc: { '/spec/apps/manifests': './manifests' },
    files: { 'manifests/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' },
    problem: {
      file: CATALOG.helm,
      path: '/spec/apps',
      message: 'give either helm (with values) or manifests, not both',
    },
  },
  {
    rule: 'apps with neither helm nor manifests',
    base: 'manifests',
    doc: { '/spec/apps': {} },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/apps',
      message: 'needs helm (with values) or manifests',
    },
  },
  {
    rule: 'values without helm',
    base: 'manifests',
    doc: { '/spec/apps/values': './values.yaml' },
    files: { 'values.yaml': 'a: 1\n' },
    problem: { file: CATALOG.manifests, path: '/spec/apps/values', message: 'values go with a helm chart' },
  },

  // --- files ----------------------------------------------------------------------------------
  {
    rule: 'module path with ".."',
    base: 'iac',
    doc: { '/spec/iac/module': '../shared/terraform' },
    problem: { file: CATALOG.iac, path: '/spec/iac/module', message: 'must not contain ".."' },
  },
  {
    rule: 'module path with ".." in the middle',
    base: 'iac',
    doc: { '/spec/iac/module': './terraform/../../other' },
    problem: { file: CATALOG.iac, path: '/spec/iac/module', message: 'must not contain ".."' },
  },
  {
    rule: 'absolute module path',
    base: 'iac',
    doc: { '/spec/iac/module': '/etc/terraform' },
    problem: { file: CATALOG.iac, path: '/spec/iac/module', message: 'must be relative to the entry folder' },
  },
  {
    rule: 'module path with a control character',
    base: 'iac',
    doc: { '/spec/iac/module': './terra\u0007form' },
    problem: { file: CATALOG.iac, path: '/spec/iac/module', message: 'must not contain control characters' },
  },
  {
    rule: 'module path with a backslash',
    base: 'iac',
    doc: { '/spec/iac/module': '.\\terraform' },
    problem: { file: CATALOG.iac, path: '/spec/iac/module', message: 'must use "/" as separator' },
  },
  {
    rule: 'module folder without .tf files',
    base: 'iac',
    doc: { '/spec/iac/module': './modules' },
    files: { 'modules/README.md': '# no terraform here\n', 'modules/main.tf.json': '{}' },
    problem: {
      file: CATALOG.iac,
      path: '/spec/iac/module',
      message: 'folder "modules" has no Terraform (.tf) files',
    },
  },
  {
    rule: 'values file missing',
    base: 'helm',
    files: { 'values.yaml': null },
    problem: { file: CATALOG.helm, path: '/spec/apps/values', message: 'file "values.yaml" does not exist' },
  },
  {
    rule: 'values path outside the entry',
    base: 'helm',
    doc: { '/spec/apps/values': '../other/values.yaml' },
    problem: { file: CATALOG.helm, path: '/spec/apps/values', message: 'must not contain ".."' },
  },
  {
    rule: 'values file that is not a mapping',
    base: 'helm',
    files: { 'values.yaml': '- a\n- b\n' },
    problem: { file: AGENT_VALUES, path: '', message: 'a values file must be a YAML mapping' },
  },
  {
    rule: 'values file that is invalid YAML',
    base: 'helm',
    files: { 'values.yaml': 'datadog: [unclosed\n' },
    problem: { file: AGENT_VALUES, path: '', message: has('invalid YAML') },
  },
  {
    rule: 'manifests folder without .yaml files',
    base: 'manifests',
    files: {
      'manifests/deployment.yaml': null,
      'manifests/service.yaml': null,
      'manifests/README.md': '# nothing\n',
    },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/apps/manifests',
      message: 'folder "manifests" has no .yaml files',
    },
  },
  {
    rule: 'manifests path outside the entry',
    base: 'manifests',
    doc: { '/spec/apps/manifests': '/manifests' },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/apps/manifests',
      message: 'must be relative to the entry folder',
    },
  },
  {
    rule: 'invalid HCL',
    base: 'iac',
    files: { 'terraform/main.tf': 'variable "databaseName" {\n  type = string\n' },
    problem: { file: IAC_MAIN, path: '', message: has('invalid HCL') },
  },
  {
    rule: 'a Terraform variable declared twice',
    base: 'iac',
    files: { 'terraform/extra.tf': 'variable "size" {\n  type    = number\n  default = 1\n}\n' },
    problem: {
      file: 'catalogs/db/terraform/main.tf',
      path: '/variable/size',
      message: 'variable "size" is declared twice',
    },
  },

  // --- parameters -----------------------------------------------------------------------------
  {
    rule: 'parameters not a valid JSON Schema (type: 7)',
    base: 'iac',
    doc: { '/spec/parameters/properties/size/type': 7 },
    problem: {
      file: CATALOG.iac,
      path: '/spec/parameters/properties/size/type',
      message: has('not a valid JSON Schema: '),
    },
  },
  {
    rule: 'parameters with an unknown keyword (strict mode: "minimun")',
    base: 'iac',
    doc: { '/spec/parameters/properties/size/minimun': 1 },
    problem: {
      file: CATALOG.iac,
      path: '/spec/parameters',
      message: 'not a valid JSON Schema: strict mode: unknown keyword: "minimun"',
    },
  },
  {
    rule: 'parameters not of type object',
    base: 'iac',
    doc: { '/spec/parameters/type': 'array' },
    problem: { file: CATALOG.iac, path: '/spec/parameters/type', message: 'must be "object"' },
  },
  {
    rule: 'secret parameter not a string',
    base: 'manifests',
    doc: { '/spec/parameters/properties/apiToken/type': 'integer' },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/apiToken/type',
      message: 'a secret parameter must be of type string',
    },
  },
  {
    rule: 'writeOnly makes a parameter secret: not a string',
    base: 'manifests',
    doc: { '/spec/parameters/properties/flag': { type: 'boolean', writeOnly: true } },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/flag/type',
      message: 'a secret parameter must be of type string',
    },
  },
  {
    rule: 'secret parameter with a default',
    base: 'manifests',
    doc: { '/spec/parameters/properties/apiToken/default': 'changeme-please' },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/apiToken/default',
      message: 'a secret parameter must not have a default',
    },
  },
  {
    rule: 'x-envcat-secret-key that is not a Secret key',
    base: 'manifests',
    doc: { '/spec/parameters/properties/apiToken/x-envcat-secret-key': 'api token' },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/apiToken/x-envcat-secret-key',
      message: '"api token" cannot be a Secret key',
    },
  },
  {
    rule: 'x-envcat-secret-key reserved for the tfvars file',
    base: 'manifests',
    doc: { '/spec/parameters/properties/apiToken/x-envcat-secret-key': 'terraform.tfvars.json' },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/apiToken/x-envcat-secret-key',
      message: '"terraform.tfvars.json" cannot be a Secret key',
    },
  },
  {
    rule: 'x-envcat-secret-key used twice',
    base: 'manifests',
    doc: {
      '/spec/parameters/properties/otherToken': {
        type: 'string',
        'x-envcat-secret': true,
        'x-envcat-secret-key': 'apiToken',
      },
    },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/otherToken/x-envcat-secret-key',
      message: 'key "apiToken" is already used by parameter apiToken',
    },
  },
  {
    rule: 'x-envcat-secret-key without x-envcat-secret',
    base: 'manifests',
    doc: { '/spec/parameters/properties/image/x-envcat-secret-key': 'image' },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/image/x-envcat-secret-key',
      message: 'only goes with x-envcat-secret: true',
    },
  },
  {
    rule: 'nested x-envcat-secret',
    base: 'manifests',
    doc: {
      '/spec/parameters/properties/settings': {
        type: 'object',
        properties: { token: { type: 'string', 'x-envcat-secret': true } },
        default: {},
      },
    },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/settings/properties/token/x-envcat-secret',
      message: 'only top-level parameters can be secret',
    },
  },
  {
    rule: 'x-envcat-secret in $defs',
    base: 'manifests',
    doc: { '/spec/parameters/$defs': { token: { type: 'string', 'x-envcat-secret': true } } },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/$defs/token/x-envcat-secret',
      message: 'only top-level parameters can be secret',
    },
  },
  {
    rule: 'a top-level default that violates its own schema',
    base: 'manifests',
    doc: { '/spec/parameters/properties/replicas/default': 0 },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/replicas/default',
      message: 'default does not match its own schema: must be at least 1',
    },
  },
  {
    rule: 'a nested default that violates its own schema',
    base: 'manifests',
    doc: {
      '/spec/parameters/properties/settings': {
        type: 'object',
        properties: { level: { type: 'string', enum: ['info', 'debug'], default: 'trace' } },
        default: {},
      },
    },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/settings/properties/level/default',
      message: 'default does not match its own schema: must be one of: "info", "debug"',
    },
  },
  {
    rule: 'an object default whose member violates the schema',
    base: 'manifests',
    doc: {
      '/spec/parameters/properties/settings': {
        type: 'object',
        properties: { port: { type: 'integer' } },
        default: { port: 'http' },
      },
    },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/settings/default',
      message: 'default does not match its own schema: /port must be a whole number',
    },
  },
  {
    rule: 'a default that violates a $ref to $defs',
    base: 'manifests',
    doc: {
      '/spec/parameters/$defs': { port: { type: 'integer', minimum: 1024 } },
      '/spec/parameters/properties/port': { $ref: '#/$defs/port', default: 80 },
    },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/port/default',
      message: 'default does not match its own schema: must be at least 1024',
    },
  },

  // --- outputs --------------------------------------------------------------------------------
  {
    rule: 'duplicate output names',
    base: 'iac',
    doc: { '/spec/outputs/2': { name: 'endpoint', schema: { type: 'string' } } },
    problem: {
      file: CATALOG.iac,
      path: '/spec/outputs/2/name',
      message: 'output "endpoint" is declared twice',
    },
  },
  {
    rule: 'output schema not a valid JSON Schema',
    base: 'iac',
    doc: { '/spec/outputs/0/schema': { type: 7 } },
    problem: { file: CATALOG.iac, path: '/spec/outputs/0/schema', message: 'not a valid JSON Schema' },
  },
  {
    rule: 'output name not an identifier',
    base: 'iac',
    doc: { '/spec/outputs/0/name': 'end-point' },
    problem: {
      file: CATALOG.iac,
      path: '/spec/outputs/0/name',
      message: 'is not in the expected form (pattern ^[A-Za-z][A-Za-z0-9_]*$)',
    },
  },

  // --- Terraform ------------------------------------------------------------------------------
  {
    rule: 'iac parameter that is not a Terraform variable',
    base: 'iac',
    doc: { '/spec/parameters/properties/region': { type: 'string', default: 'eu-west-1' } },
    problem: {
      file: CATALOG.iac,
      path: '/spec/parameters/properties/region',
      message: 'is not a variable of the Terraform module',
    },
  },
  {
    rule: 'hybrid parameter used neither by the module nor by a template',
    base: 'hybrid',
    doc: { '/spec/parameters/properties/unused': { type: 'string', default: '' } },
    problem: {
      file: CATALOG.hybrid,
      path: '/spec/parameters/properties/unused',
      message: 'is used neither by the Terraform module nor by a template',
    },
  },
  {
    rule: 'Terraform variable without default that is not a parameter',
    base: 'iac',
    files: { 'terraform/main.tf': `${IAC_MAIN_TF}\nvariable "region" {\n  type = string\n}\n` },
    problem: {
      file: IAC_MAIN,
      path: '/variable/region',
      message: 'variable "region" has no default and is not a parameter',
    },
  },
  {
    rule: 'required Terraform variable mapped to an optional parameter without default',
    base: 'iac',
    doc: { '/spec/parameters/required': [] },
    problem: {
      file: CATALOG.iac,
      path: '/spec/parameters/properties/databaseName',
      message:
        'Terraform variable "databaseName" has no default: make the parameter required or give it a default',
    },
  },
  {
    rule: 'string parameter for a number variable',
    base: 'iac',
    doc: { '/spec/parameters/properties/size': { type: 'string', default: '20' } },
    problem: {
      file: CATALOG.iac,
      path: '/spec/parameters/properties/size/type',
      message: 'does not fit Terraform variable type number',
    },
  },
  {
    rule: 'number parameter for a string variable',
    base: 'iac',
    doc: { '/spec/parameters/properties/databaseName': { type: 'number' } },
    problem: {
      file: CATALOG.iac,
      path: '/spec/parameters/properties/databaseName/type',
      message: 'does not fit Terraform variable type string',
    },
  },
  {
    rule: 'secret parameter whose variable is not sensitive',
    base: 'iac',
    files: { 'terraform/main.tf': IAC_MAIN_TF.replace('  sensitive = true\n', '') },
    problem: {
      file: IAC_MAIN,
      path: '/variable/password',
      message: 'variable "password" receives a secret parameter and must set sensitive = true',
    },
  },
  {
    rule: 'sensitive Terraform variable whose parameter is not secret',
    base: 'iac',
    doc: { '/spec/parameters/properties/password': { type: 'string', minLength: 12 } },
    problem: {
      file: CATALOG.iac,
      path: '/spec/parameters/properties/password',
      message: 'Terraform variable "password" is sensitive: mark the parameter x-envcat-secret: true',
    },
  },
  {
    rule: 'declared output that the module does not have',
    base: 'iac',
    doc: { '/spec/outputs/2': { name: 'port', schema: { type: 'integer' } } },
    problem: {
      file: CATALOG.iac,
      path: '/spec/outputs/2/name',
      message: '"port" is not an output of the Terraform module',
    },
  },
  {
    rule: 'sensitive Terraform output not declared sensitive',
    base: 'iac',
    doc: { '/spec/outputs/1/sensitive': undefined },
    problem: {
      file: CATALOG.iac,
      path: '/spec/outputs/1/sensitive',
      message: 'Terraform output "password" is sensitive: declare sensitive: true',
    },
  },

  // --- templates ------------------------------------------------------------------------------
  {
    rule: 'template referencing an undeclared parameter',
    base: 'manifests',
    files: {
      'manifests/deployment.yaml': DEPLOYMENT_YAML.replace('parameters.replicas', 'parameters.count'),
    },
    problem: {
      file: DEPLOYMENT,
      path: '/0/spec/replicas',
      message: 'parameter "count" is not declared in spec.parameters',
    },
  },
  {
    rule: 'undeclared parameter in the second document of a manifest file',
    base: 'manifests',
    files: {
      'manifests/service.yaml': SERVICE_YAML.replace('environment.namespace', 'parameters.namespace'),
    },
    problem: {
      file: SERVICE,
      path: '/1/data/MESSAGE',
      message: 'parameter "namespace" is not declared in spec.parameters',
    },
  },
  {
    rule: 'outputs.x in a yaml (non-hybrid) entry',
    base: 'helm',
    files: { 'values.yaml': AGENT_VALUES_YAML.replace('parameters.site', 'outputs.site') },
    problem: {
      file: AGENT_VALUES,
      path: '/datadog/site',
      message: "outputs.site: only a hybrid entry's templates can use its own outputs",
    },
  },
  {
    rule: 'hybrid template referencing an undeclared output',
    base: 'hybrid',
    files: { 'values.yaml': HYBRID_VALUES_YAML.replace('outputs.port', 'outputs.dbPort') },
    problem: {
      file: HYBRID_VALUES,
      path: '/server/port',
      message: 'output "dbPort" is not declared in spec.outputs',
    },
  },
  {
    rule: 'secret parameter interpolated inside a longer string',
    base: 'helm',
    files: {
      'values.yaml': AGENT_VALUES_YAML.replace(
        '${{ parameters.apiKey.secretName }}',
        'key-${{ parameters.apiKey }}',
      ),
    },
    problem: {
      file: AGENT_VALUES,
      path: '/datadog/apiKeyExistingSecret',
      message:
        'parameters.apiKey is secret: use it as a whole value, or its .secretName / .secretKey, never inside text',
    },
  },
  {
    rule: 'sensitive output interpolated inside a longer string',
    base: 'hybrid',
    files: {
      'values.yaml': HYBRID_VALUES_YAML.replace(
        '${{ outputs.password.secretName }}',
        'postgres://admin:${{ outputs.password }}@db',
      ),
    },
    problem: {
      file: HYBRID_VALUES,
      path: '/server/passwordSecret',
      message:
        'outputs.password is secret: use it as a whole value, or its .secretName / .secretKey, never inside text',
    },
  },
  {
    rule: '.secretName on a non-secret parameter',
    base: 'helm',
    files: { 'values.yaml': AGENT_VALUES_YAML.replace('parameters.site', 'parameters.site.secretName') },
    problem: {
      file: AGENT_VALUES,
      path: '/datadog/site',
      message: 'parameters.site.secretName: parameters.site is not secret',
    },
  },
  {
    rule: '.secretKey on a non-sensitive output',
    base: 'hybrid',
    files: { 'values.yaml': HYBRID_VALUES_YAML.replace('outputs.endpoint', 'outputs.endpoint.secretKey') },
    problem: {
      file: HYBRID_VALUES,
      path: '/server/host',
      message: 'outputs.endpoint.secretKey: outputs.endpoint is not secret',
    },
  },
  {
    rule: 'unsupported expression ${{ foo.bar }}',
    base: 'helm',
    files: { 'values.yaml': AGENT_VALUES_YAML.replace('${{ parameters.site }}', '${{ foo.bar }}') },
    problem: {
      file: AGENT_VALUES,
      path: '/datadog/site',
      message: `unsupported expression "\${{ foo.bar }}"${UNSUPPORTED}`,
    },
  },
  {
    rule: 'unsupported expression with a filter',
    base: 'helm',
    files: { 'values.yaml': AGENT_VALUES_YAML.replace('parameters.site', 'parameters.site | upper') },
    problem: {
      file: AGENT_VALUES,
      path: '/datadog/site',
      message: `unsupported expression "\${{ parameters.site | upper }}"${UNSUPPORTED}`,
    },
  },
  {
    rule: 'unsupported expression in a manifest list item',
    base: 'manifests',
    files: { 'manifests/deployment.yaml': DEPLOYMENT_YAML.replace('parameters.image', 'image') },
    problem: {
      file: DEPLOYMENT,
      path: '/0/spec/template/spec/containers/0/image',
      message: `unsupported expression "\${{ image }}"${UNSUPPORTED}`,
    },
  },
  {
    rule: 'expression in a map key',
    base: 'helm',
    files: { 'values.yaml': `${AGENT_VALUES_YAML}labels:\n  \${{ instance.name }}: "true"\n` },
    problem: {
      file: AGENT_VALUES,
      path: '/labels/${{ instance.name }}',
      message: 'expressions are allowed in string values only, not in keys',
    },
  },
  {
    rule: 'unterminated ${{',
    base: 'helm',
    files: { 'values.yaml': AGENT_VALUES_YAML.replace('${{ parameters.site }}', 'eu-${{ parameters.site') },
    problem: { file: AGENT_VALUES, path: '/datadog/site', message: 'unterminated "${{" expression' },
  },

  // --- manifests ------------------------------------------------------------------------------
  {
    rule: 'manifest without kind',
    base: 'manifests',
    files: { 'manifests/deployment.yaml': DEPLOYMENT_YAML.replace('kind: Deployment\n', '') },
    problem: { file: DEPLOYMENT, path: '/0/kind', message: 'is required' },
  },
  {
    rule: 'manifest without apiVersion',
    base: 'manifests',
    files: { 'manifests/deployment.yaml': DEPLOYMENT_YAML.replace('apiVersion: apps/v1\n', '') },
    problem: { file: DEPLOYMENT, path: '/0/apiVersion', message: 'is required' },
  },
  {
    rule: 'manifest without metadata.name (second document)',
    base: 'manifests',
    files: {
      'manifests/service.yaml': SERVICE_YAML.replace(
        '  name: ${{ instance.name }}-config\n',
        '  labels: {}\n',
      ),
    },
    problem: { file: SERVICE, path: '/1/metadata/name', message: 'is required' },
  },
  {
    rule: 'manifest setting a fixed metadata.namespace',
    base: 'manifests',
    files: {
      'manifests/deployment.yaml': DEPLOYMENT_YAML.replace(
        '  name: ${{ instance.name }}\n',
        '  name: ${{ instance.name }}\n  namespace: production\n',
      ),
    },
    problem: {
      file: DEPLOYMENT,
      path: '/0/metadata/namespace',
      message:
        '"production" is a fixed namespace; manifests go into the environment\'s namespace: write ${{ environment.namespace }} or leave it out',
    },
  },
  {
    rule: 'manifest setting metadata.namespace to a number',
    base: 'manifests',
    files: {
      'manifests/deployment.yaml': DEPLOYMENT_YAML.replace(
        '  name: ${{ instance.name }}\n',
        '  name: ${{ instance.name }}\n  namespace: 7\n',
      ),
    },
    problem: {
      file: DEPLOYMENT,
      path: '/0/metadata/namespace',
      message: 'must be a string: ${{ environment.namespace }}',
    },
  },
  // --- cluster-scoped kinds (the environment's Argo CD project allows exactly the declared ones) ---
  {
    rule: 'manifests with a ClusterRole not declared in apps.clusterResources',
    base: 'manifests',
    files: { 'manifests/rbac.yaml': CLUSTER_ROLE_YAML },
    problem: {
      file: RBAC,
      path: '/0/kind',
      message:
        'ClusterRole is cluster-scoped: declare {group: "rbac.authorization.k8s.io", kind: ClusterRole} in spec.apps.clusterResources, or the environment\'s Argo CD project refuses it',
    },
  },
  {
    rule: 'manifests with a core cluster-scoped kind (PersistentVolume) not declared',
    base: 'manifests',
    files: {
      'manifests/pv.yaml':
        'apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: ${{ instance.name }}\nspec:\n  capacity: { storage: 1Gi }\n',
    },
    problem: {
      file: 'catalogs/web/manifests/pv.yaml',
      path: '/0/kind',
      message: has('PersistentVolume is cluster-scoped: declare {group: "", kind: PersistentVolume}'),
    },
  },
  {
    rule: 'manifests with an object of a cluster-scoped CRD they define, not declared',
    base: 'manifests',
    doc: {
      '/spec/apps/clusterResources': [{ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' }],
    },
    files: { 'manifests/crd.yaml': CLUSTER_CRD_YAML },
    problem: {
      file: 'catalogs/web/manifests/crd.yaml',
      path: '/1/kind',
      message: has('Widget is cluster-scoped: declare {group: "example.com", kind: Widget}'),
    },
  },
  {
    rule: 'a declared cluster-scoped kind that no manifest has',
    base: 'manifests',
    doc: { '/spec/apps/clusterResources': [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }] },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/apps/clusterResources/0',
      message:
        'no manifest has kind ClusterRole of group "rbac.authorization.k8s.io": declare only what the manifests create',
    },
  },
  {
    rule: 'a glob in apps.clusterResources',
    base: 'helm',
    doc: { '/spec/apps/clusterResources': [{ group: '*', kind: '*' }] },
    problem: { file: CATALOG.helm, path: '/spec/apps/clusterResources/0/group', message: has('pattern') },
  },
  {
    rule: 'apps.clusterResources without a group',
    base: 'helm',
    doc: { '/spec/apps/clusterResources': [{ kind: 'ClusterRole' }] },
    problem: { file: CATALOG.helm, path: '/spec/apps/clusterResources/0/group', message: 'is required' },
  },
  {
    rule: 'manifest that is not an object',
    base: 'manifests',
    files: { 'manifests/list.yaml': '- a\n- b\n' },
    problem: {
      file: 'catalogs/web/manifests/list.yaml',
      path: '/0',
      message: 'a manifest must be a Kubernetes object',
    },
  },
  {
    rule: 'parameter name not an identifier points at the parameter',
    base: 'manifests',
    doc: { '/spec/parameters/properties/db-name': { type: 'string', default: 'x' } },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/db-name',
      message: 'is not a valid name: is not in the expected form (pattern ^[A-Za-z][A-Za-z0-9_]*$)',
    },
  },
  {
    rule: 'a parameter named "enum" whose default violates its schema',
    base: 'manifests',
    doc: { '/spec/parameters/properties/enum': { type: 'integer', default: 'many' } },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/enum/default',
      message: 'default does not match its own schema: must be a whole number',
    },
  },
  {
    rule: 'nested x-envcat-secret under a property named "default"',
    base: 'manifests',
    doc: {
      '/spec/parameters/properties/settings': {
        type: 'object',
        properties: { default: { type: 'string', 'x-envcat-secret': true } },
      },
    },
    problem: {
      file: CATALOG.manifests,
      path: '/spec/parameters/properties/settings/properties/default/x-envcat-secret',
      message: 'only top-level parameters can be secret',
    },
  },
];

describe('validateEntry: rules', () => {
  it.each(rules)('$rule', async ({ problem, ...mutation }) => {
    // GIVEN a valid entry with one mutation
    const input = source(mutation);
    // WHEN it is validated
    const result = await validateEntry(input);
    // THEN it is rejected with the exact problem (file, JSON pointer, message)
    expect(result.entry).toBeUndefined();
    expect(result.problems).toContainEqual(problem);
  });
});

describe('validateEntry: namespaces and cluster-scoped kinds that pass', () => {
  const withNamespace = (ns: string) =>
    DEPLOYMENT_YAML.replace(
      '  name: ${{ instance.name }}\n',
      `  name: \${{ instance.name }}\n  namespace: ${ns}\n`,
    );
  const CLUSTER_ROLE = { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' };
  it.each<[string, Mutation]>([
    [
      'metadata.namespace: ${{ environment.namespace }}',
      {
        base: 'manifests',
        files: { 'manifests/deployment.yaml': withNamespace('${{ environment.namespace }}') },
      },
    ],
    [
      'metadata.namespace quoted, spaces trimmed',
      {
        base: 'manifests',
        files: { 'manifests/deployment.yaml': withNamespace("'${{environment.namespace}}'") },
      },
    ],
    [
      'a declared ClusterRole',
      {
        base: 'manifests',
        doc: { '/spec/apps/clusterResources': [CLUSTER_ROLE] },
        files: { 'manifests/rbac.yaml': CLUSTER_ROLE_YAML },
      },
    ],
    [
      'a cluster-scoped CRD and its object, both declared',
      {
        base: 'manifests',
        doc: {
          '/spec/apps/clusterResources': [
            { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
            { group: 'example.com', kind: 'Widget' },
          ],
        },
        files: { 'manifests/crd.yaml': CLUSTER_CRD_YAML },
      },
    ],
    [
      'an object of a kind no list knows (a namespaced custom resource), undeclared',
      {
        base: 'manifests',
        files: {
          'manifests/monitor.yaml':
            'apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: m\n',
        },
      },
    ],
    [
      'a Helm entry declaring what its chart renders (not checkable without Helm)',
      { base: 'helm', doc: { '/spec/apps/clusterResources': [CLUSTER_ROLE] } },
    ],
  ])('%s', async (_case, mutation) => {
    // GIVEN a valid entry with the mutation WHEN it is validated
    const result = await validateEntry(source(mutation));
    // THEN it passes, and the declaration is kept for the environment's project
    expect(result.problems).toEqual([]);
    expect(result.entry?.document.spec.apps?.clusterResources).toEqual(
      mutation.doc?.['/spec/apps/clusterResources'],
    );
  });
});

describe('validateEntry: what passes validation renders', () => {
  it('a stray "}" after an expression is text, in the scan and in the render alike', async () => {
    // GIVEN a values template with "${{ parameters.site }}}" (an expression followed by "}")
    const input = source({
      base: 'helm',
      files: {
        'values.yaml': AGENT_VALUES_YAML.replace('${{ parameters.site }}', '${{ parameters.site }}}'),
      },
    });
    // WHEN it is validated THEN it is accepted as an interpolation, not a whole value
    const result = await validateEntry(input);
    expect(result.problems).toEqual([]);
    const scan = scanTemplate(result.entry!.values!.documents[0]!);
    expect(scan.references.find((r) => r.pointer === '/datadog/site')).toMatchObject({ whole: false });
    // AND it renders as text with the "}" kept
    const rendered = renderTemplate(result.entry!.values!.documents[0]!, {
      environment: { name: 'e', namespace: 'n' },
      instance: { name: 'i' },
      parameters: { site: { kind: 'value', value: 'datadoghq.com' } },
      outputs: {},
    }) as { datadog: { site: string } };
    expect(rendered.datadog.site).toBe('datadoghq.com}');
  });
});

describe('validateEntry: versions', () => {
  it.each(['1.2.3', '1.2.3-rc.1', '1.2.3+build.7', '2.0.0-beta.2+exp.sha.5114f85'])(
    'accepts %s',
    async (version) => {
      // GIVEN a valid entry with this version WHEN validated THEN it keeps the version as written
      const result = await validateEntry(source({ base: 'iac', doc: { '/metadata/version': version } }));
      expect(result.problems).toEqual([]);
      expect(result.entry!.version).toBe(version);
    },
  );
});
