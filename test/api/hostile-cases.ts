/**
 * The hostile inputs of test/api/hostile-corpus.test.ts: the inputs of the "safe under hostile
 * input" issue, the README's limits, and the ones that were already handled. Each case says the
 * status it must get and the field (pointer), header or query parameter its error must name.
 */
export const SECRET = 'Sup3rS3cretValue-9f2c41';
export const ALICE = 'alice-token-7d1e0c55';
export const nested = (open: string, close: string, n: number, inner = '1') =>
  open.repeat(n) + inner + close.repeat(n);

export type Json = Record<string, unknown>;

/** A valid request for one database with a secret parameter, changed by `edit`. */
export function request(
  edit: (doc: Json & { metadata: Json; spec: Json & { catalogs: Json[] } }) => void = () => {},
) {
  const doc = {
    apiVersion: 'envcat.io/v1alpha1',
    kind: 'Environment',
    metadata: { name: 'hostile-db' },
    spec: {
      namespace: 'hostile-db',
      type: 'pre-release',
      ttl: '2h',
      catalogs: [
        { name: 'db', entry: 'rds-postgres@^1', parameters: { databaseName: 'app', masterPassword: SECRET } },
      ],
    },
  };
  edit(doc as never);
  return JSON.stringify(doc);
}
export const params = (doc: { spec: { catalogs: Json[] } }, i = 0) =>
  doc.spec.catalogs[i]!.parameters as Json;

export const catalogYaml = (extra = '') =>
  [
    'apiVersion: envcat.io/v1alpha1',
    'kind: CatalogEntry',
    'metadata: { name: hostile-entry, version: 1.0.0, title: Hostile, owner: platform-team }',
    'spec:',
    '  type: iac',
    '  parameters: { type: object, properties: { name: { type: string, default: x } } }',
    '  iac: { module: ./terraform }',
    extra,
  ].join('\n');
export const TF_VARIABLE = 'variable "name" {\n  type    = string\n  default = "x"\n}\n';
export const publish = (files: Array<{ path: string; content: string }>) => JSON.stringify({ files });

export interface Case {
  name: string;
  method?: string;
  path?: string;
  body?: string;
  /** Content-Type; null sends none. Default application/json. */
  contentType?: string | null;
  /** Bearer token; null sends no Authorization header. Default the admin token. */
  token?: string | null;
  status: number;
  /** The pointer of the first error, when the problem is in the body. */
  pointer?: string | RegExp;
  /** What the message must say (it names the header, the query parameter, the limit…). */
  message?: RegExp;
  /** The file of the first error (catalog publish). */
  file?: string;
}

export const JSON_DEPTH_POINTER = `/spec/catalogs/0/parameters/tags${'/0'.repeat(59)}`;

export const cases: Case[] = [
  // --- malformed bodies ---------------------------------------------------------------------------
  {
    name: 'malformed JSON holding a secret',
    body: `{"spec": {"password": "${SECRET}"`,
    status: 400,
    pointer: '',
    message: /^malformed JSON at line 1, column \d+: /,
  },
  {
    name: 'a bare secret where JSON was expected',
    body: SECRET,
    status: 400,
    pointer: '',
    message: /^malformed JSON at line 1, column 1: /,
  },
  {
    name: 'malformed YAML holding a secret',
    body: `spec:\n  password: "${SECRET}\n  x: [`,
    contentType: 'application/yaml',
    status: 422,
    pointer: '',
    message: /^invalid YAML at line \d+, column \d+: /,
  },
  {
    name: 'YAML with a bad escape quoting a secret',
    body: `spec: { password: "\\q${SECRET}" }`,
    contentType: 'application/yaml',
    status: 422,
    pointer: '',
    message: /invalid escape sequence/,
  },
  {
    name: 'YAML with two documents',
    body: 'a: 1\n---\nb: 2\n',
    contentType: 'application/yaml',
    status: 422,
    pointer: '',
    message: /expected a single YAML document/,
  },
  {
    name: 'YAML with a repeated key',
    body: 'metadata: {}\nmetadata: {}\n',
    contentType: 'application/yaml',
    status: 422,
    pointer: '',
    message: /a mapping key is repeated/,
  },
  {
    name: 'a YAML alias bomb',
    body: 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    contentType: 'application/yaml',
    status: 422,
    pointer: '',
    message: /too many alias expansions/,
  },
  {
    name: 'a JSON array instead of an object',
    body: '[]',
    status: 422,
    pointer: '',
    message: /must be an object/,
  },
  { name: 'JSON null', body: 'null', status: 422, pointer: '', message: /must be an object/ },
  // --- deep nesting -------------------------------------------------------------------------------
  {
    name: '10,000-deep JSON',
    body: `{"a": ${nested('[', ']', 10_000)}}`,
    status: 422,
    pointer: `/a${'/0'.repeat(63)}`,
    message: /nests deeper than 64 levels/,
  },
  {
    name: '10,000-deep YAML',
    body: `a: ${nested('[', ']', 10_000)}`,
    contentType: 'application/yaml',
    status: 422,
    pointer: `/a${'/0'.repeat(63)}`,
    message: /nests deeper than 64 levels/,
  },
  {
    name: 'a deep parameter in a valid request',
    body: request((d) => (params(d).tags = JSON.parse(nested('[', ']', 100, '"x"')))),
    status: 422,
    pointer: JSON_DEPTH_POINTER,
    message: /nests deeper than 64 levels/,
  },
  {
    name: '10,000-deep YAML mappings',
    body: `a: ${nested('{b: ', '}', 10_000)}`,
    contentType: 'application/yaml',
    status: 422,
    pointer: `/a${'/b'.repeat(63)}`,
  },
  // --- sizes (README limits) ----------------------------------------------------------------------
  {
    name: 'a body over the 4 MiB limit',
    body: JSON.stringify({ pad: 'x'.repeat(5 * 1024 * 1024) }),
    status: 413,
    message: /larger than the limit/,
  },
  {
    name: 'a request over 256 KiB',
    body: request((d) => (d.spec.description = 'x'.repeat(300 * 1024))),
    status: 422,
    pointer: '',
    message: /^request is \d+ bytes; the limit is 262144$/,
  },
  {
    name: '51 instances',
    body: request(
      (d) =>
        (d.spec.catalogs = Array.from({ length: 51 }, (_, i) => ({ name: `b${i}`, entry: 's3-bucket' }))),
    ),
    status: 422,
    pointer: '/spec/catalogs',
    message: /has 51 instances; the limit is 50/,
  },
  {
    name: 'parameters over 64 KiB',
    body: request((d) => (params(d).tags = { pad: 'x'.repeat(70 * 1024) })),
    status: 422,
    pointer: '/spec/catalogs/0/parameters',
    message: /the limit is 65536/,
  },
  {
    name: 'an instance name over 53 characters',
    body: request((d) => (d.spec.catalogs[0]!.name = 'd'.repeat(54))),
    status: 422,
    pointer: '/spec/catalogs/0/name',
  },
  {
    name: '<env>-<instance> over 63 characters',
    body: request((d) => {
      d.metadata.name = 'e'.repeat(40);
      d.spec.namespace = 'hostile-ns';
      d.spec.catalogs[0]!.name = 'i'.repeat(30);
    }),
    status: 422,
    pointer: '/spec/catalogs/0/name',
    message: /at most 63 characters/,
  },
  {
    name: 'a ttl under a minute',
    body: request((d) => (d.spec.ttl = '30s')),
    status: 422,
    pointer: '/spec/ttl',
  },
  {
    name: 'a ttl over 90 days',
    body: request((d) => (d.spec.ttl = '91d')),
    status: 422,
    pointer: '/spec/ttl',
  },
  // --- names and namespaces -----------------------------------------------------------------------
  {
    name: 'a path in the name',
    body: request((d) => {
      d.metadata.name = '../../etc';
      delete d.spec.namespace;
    }),
    status: 422,
    pointer: '/metadata/name',
    message: /DNS-1123/,
  },
  {
    name: 'a NUL in the name',
    body: request((d) => (d.metadata.name = 'dev\u0000x')),
    status: 422,
    pointer: '/metadata/name',
  },
  {
    name: 'a Unicode hyphen in the name',
    body: request((d) => (d.metadata.name = 'dev\u2010x')),
    status: 422,
    pointer: '/metadata/name',
  },
  {
    name: 'YAML injected through the name',
    body: request((d) => (d.metadata.name = 'x\nkind: Secret')),
    status: 422,
    pointer: '/metadata/name',
  },
  {
    name: 'an upper-case name without a namespace',
    body: request((d) => {
      d.metadata.name = 'Bad_Name';
      delete d.spec.namespace;
    }),
    status: 422,
    pointer: '/metadata/name',
  },
  {
    name: 'a path in an instance name',
    body: request((d) => (d.spec.catalogs[0]!.name = '../db')),
    status: 422,
    pointer: '/spec/catalogs/0/name',
  },
  ...['default', 'kube-system', 'kube-public', 'argocd', 'crossplane-system', 'envcat-system'].map((ns) => ({
    name: `the reserved namespace ${ns}`,
    body: request((d) => (d.spec.namespace = ns)),
    status: 422,
    pointer: '/spec/namespace',
    message: /is reserved/,
  })),
  {
    name: 'a reserved namespace through the name',
    body: request((d) => {
      d.metadata.name = 'kube-hostile';
      delete d.spec.namespace;
    }),
    status: 422,
    pointer: '/metadata/name',
    message: /is reserved/,
  },
  {
    name: 'a bad annotation key',
    body: request((d) => (d.metadata.annotations = { 'bad key!': 'x' })),
    status: 422,
    pointer: '/metadata/annotations/bad key!',
  },
  // --- prototype keys, wrong types, unknown members ------------------------------------------------
  {
    name: 'a __proto__ key at the top',
    body: request().replace('{', '{"__proto__": {"polluted": true},'),
    status: 422,
    pointer: '/__proto__',
  },
  {
    name: 'a __proto__ key in parameters',
    body: request().replace('"databaseName"', '"__proto__": {"isAdmin": true}, "databaseName"'),
    status: 422,
    pointer: /^\/spec\/catalogs\/0\/parameters\/__proto__/,
  },
  {
    name: 'a constructor key in parameters',
    body: request((d) => Object.assign(params(d), { constructor: { prototype: { x: 1 } } })),
    status: 422,
    pointer: /^\/spec\/catalogs\/0\/parameters\/constructor/,
  },
  {
    name: 'a number as the name',
    body: request((d) => (d.metadata.name = 42)),
    status: 422,
    pointer: '/metadata/name',
  },
  {
    name: 'a string as the catalogs',
    body: request((d) => (d.spec.catalogs = 'db' as never)),
    status: 422,
    pointer: '/spec/catalogs',
  },
  {
    name: 'a string where an integer goes',
    body: request((d) => (params(d).allocatedStorage = 'twenty')),
    status: 422,
    pointer: '/spec/catalogs/0/parameters/allocatedStorage',
  },
  {
    name: 'a secret of the wrong type',
    body: request((d) => (params(d).masterPassword = 12345678901234)),
    status: 422,
    pointer: '/spec/catalogs/0/parameters/masterPassword',
  },
  {
    name: 'a secret too short (not echoed)',
    body: request((d) => (params(d).masterPassword = 'Sup3rS3cret')),
    status: 422,
    pointer: '/spec/catalogs/0/parameters/masterPassword',
  },
  {
    name: 'an unknown member',
    body: request((d) => (d.status = { phase: 'Ready' })),
    status: 422,
    pointer: '/status',
    message: /is not a known property/,
  },
  {
    name: 'an unknown parameter',
    body: request((d) => (params(d).shell = 'rm -rf /')),
    status: 422,
    pointer: '/spec/catalogs/0/parameters/shell',
  },
  {
    name: 'an unknown entry',
    body: request((d) => (d.spec.catalogs[0]!.entry = 'nope@^1')),
    status: 422,
    pointer: '/spec/catalogs/0/entry',
  },
  {
    name: 'an entry range that is no range',
    body: request((d) => (d.spec.catalogs[0]!.entry = 'rds-postgres@latest')),
    status: 422,
    pointer: '/spec/catalogs/0/entry',
  },
  // --- references ---------------------------------------------------------------------------------
  {
    name: 'a reference cycle',
    body: request(
      (d) =>
        (d.spec.catalogs = [
          { name: 'network', entry: 'vpc', parameters: { name: { fromOutput: 'db.username' } } },
          {
            name: 'db',
            entry: 'rds-postgres',
            parameters: { databaseName: 'app', vpcId: { fromOutput: 'network.vpcId' } },
          },
        ]),
    ),
    status: 422,
    pointer: /^\/spec\/catalogs\/[01]\/parameters\/(name|vpcId)\/fromOutput$/,
    message: /references form a cycle/,
  },
  {
    name: 'a reference to an unknown instance',
    body: request((d) => (params(d).vpcId = { fromOutput: 'ghost.vpcId' })),
    status: 422,
    pointer: '/spec/catalogs/0/parameters/vpcId/fromOutput',
  },
  {
    name: 'a fromSecret with a path',
    body: request((d) => (params(d).masterPassword = { fromSecret: { name: '../kube-system/x', key: 'k' } })),
    status: 422,
    pointer: /^\/spec\/catalogs\/0\/parameters\/masterPassword/,
  },
  {
    name: 'SQL and shell in a parameter',
    body: request((d) => (params(d).databaseName = "x'; DROP TABLE users; --$(id)")),
    status: 422,
    pointer: '/spec/catalogs/0/parameters/databaseName',
  },
  // --- headers, query, roles ----------------------------------------------------------------------
  {
    name: 'no Content-Type',
    body: request(),
    contentType: null,
    status: 415,
    message: /Content-Type application\/json, application\/yaml/,
  },
  { name: 'text/plain', body: request(), contentType: 'text/plain', status: 415, message: /Content-Type/ },
  {
    name: 'a form body',
    body: 'a=1&b=2',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    message: /Content-Type/,
  },
  {
    name: 'dryRun=1',
    path: '/api/v1/environments?dryRun=1',
    body: request(),
    status: 400,
    message: /query parameter dryRun must be "true" or "All"/,
  },
  {
    name: 'dryRun=yes',
    path: '/api/v1/environments?dryRun=yes',
    body: request(),
    status: 400,
    message: /query parameter dryRun/,
  },
  {
    name: 'dryRun given twice',
    path: '/api/v1/environments?dryRun=true&dryRun=false',
    body: request(),
    status: 400,
    message: /query parameter dryRun/,
  },
  { name: 'no token', body: request(), token: null, status: 401, message: /bearer token/ },
  {
    name: 'a wrong token',
    body: request(),
    token: 'test-admin-token-0123456788',
    status: 401,
    message: /bearer token/,
  },
  {
    name: 'a token in the query of a POST',
    path: '/api/v1/environments?access_token=test-admin-token-0123456789',
    body: request(),
    token: null,
    status: 401,
    message: /bearer token/,
  },
  {
    name: 'a developer setting another owner',
    body: request((d) => (d.spec.owner = 'bob')),
    token: ALICE,
    status: 422,
    pointer: '/spec/owner',
  },
  {
    name: 'a developer publishing',
    path: '/api/v1/catalogs',
    body: publish([{ path: 'catalog.yaml', content: catalogYaml() }]),
    token: ALICE,
    status: 403,
    message: /platform role/,
  },
  {
    name: 'deleting an environment that does not exist',
    method: 'DELETE',
    path: '/api/v1/environments/ghost',
    body: undefined,
    status: 404,
    pointer: '/metadata/name',
  },
  {
    name: 'deleting a path trick',
    method: 'DELETE',
    path: '/api/v1/environments/..%2F..%2Fetc',
    body: undefined,
    status: 404,
  },
  {
    name: 'a path parameter that is not percent-encoding',
    method: 'DELETE',
    path: '/api/v1/environments/Sup3rS3cret%E0%A4%A',
    body: undefined,
    status: 400,
    pointer: '',
    message: /^a path parameter is not valid percent-encoding$/,
  },
  // --- catalog publish ----------------------------------------------------------------------------
  {
    name: 'publish: files that are not an array',
    path: '/api/v1/catalogs',
    body: JSON.stringify({ files: 'catalog.yaml' }),
    status: 422,
    pointer: '/files',
  },
  {
    name: 'publish: a ".." path',
    path: '/api/v1/catalogs',
    body: publish([
      { path: 'catalog.yaml', content: catalogYaml() },
      ...'abcd'.split('').map((p) => ({ path: `${p}.tf`, content: '' })),
      { path: '../x.tf', content: '' },
    ]),
    status: 422,
    pointer: '/files/5/path',
    message: /must not contain "\.\."/,
  },
  {
    name: 'publish: an absolute path',
    path: '/api/v1/catalogs',
    body: publish([
      { path: 'catalog.yaml', content: catalogYaml() },
      { path: '/etc/passwd', content: 'root' },
    ]),
    status: 422,
    pointer: '/files/1/path',
    message: /must be relative/,
  },
  {
    name: 'publish: a .git path',
    path: '/api/v1/catalogs',
    body: publish([
      { path: 'catalog.yaml', content: catalogYaml() },
      { path: 'x/.git/hooks/post-commit', content: '#!/bin/sh' },
    ]),
    status: 422,
    pointer: '/files/1/path',
  },
  {
    name: 'publish: 10,000-deep catalog.yaml',
    path: '/api/v1/catalogs',
    body: publish([{ path: 'catalog.yaml', content: `a: ${nested('[', ']', 10_000)}` }]),
    status: 422,
    pointer: `/a${'/0'.repeat(63)}`,
    file: 'catalog.yaml',
  },
  {
    name: 'publish: a deep template',
    path: '/api/v1/catalogs',
    body: publish([
      {
        path: 'catalog.yaml',
        content: catalogYaml()
          .replace('type: iac', 'type: yaml')
          .replace('  iac: { module: ./terraform }', '  apps: { manifests: ./manifests }'),
      },
      { path: 'manifests/a.yaml', content: `a: ${nested('{b: ', '}', 10_000)}` },
    ]),
    status: 422,
    pointer: `/a${'/b'.repeat(63)}`,
    file: 'manifests/a.yaml',
  },
  {
    name: 'publish: a backend block',
    path: '/api/v1/catalogs',
    body: publish([
      { path: 'catalog.yaml', content: catalogYaml() },
      { path: 'terraform/main.tf', content: `${TF_VARIABLE}terraform {\n  backend "s3" {\n  }\n}\n` },
    ]),
    status: 422,
    pointer: '/terraform/0/backend/s3',
    file: 'terraform/main.tf',
  },
  {
    name: 'publish: a local-exec provisioner',
    path: '/api/v1/catalogs',
    body: publish([
      { path: 'catalog.yaml', content: catalogYaml() },
      {
        path: 'terraform/main.tf',
        content: `${TF_VARIABLE}resource "terraform_data" "x" {\n  provisioner "local-exec" {\n    command = "env"\n  }\n}\n`,
      },
    ]),
    status: 422,
    pointer: '/resource/terraform_data/x/provisioner/local-exec',
    file: 'terraform/main.tf',
  },
  {
    name: 'publish: a data "external"',
    path: '/api/v1/catalogs',
    body: publish([
      { path: 'catalog.yaml', content: catalogYaml() },
      { path: 'terraform/main.tf', content: `${TF_VARIABLE}data "external" "x" {\n  program = ["env"]\n}\n` },
    ]),
    status: 422,
    pointer: '/data/external/x',
    file: 'terraform/main.tf',
  },
  {
    name: 'publish: a local module outside the entry',
    path: '/api/v1/catalogs',
    body: publish([
      { path: 'catalog.yaml', content: catalogYaml() },
      { path: 'terraform/main.tf', content: `${TF_VARIABLE}module "m" {\n  source = "../../../other"\n}\n` },
    ]),
    status: 422,
    pointer: '/module/m/source',
    file: 'terraform/main.tf',
  },
  {
    name: 'publish: no Content-Type',
    path: '/api/v1/catalogs',
    body: publish([{ path: 'catalog.yaml', content: catalogYaml() }]),
    contentType: null,
    status: 415,
    message: /Content-Type/,
  },
];
