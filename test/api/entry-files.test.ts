/**
 * An entry version's files over HTTP (`GET /api/v1/catalogs/{name}/versions/{version}/files[/{path}]`):
 * a built-in version serves the files of its folder, a published one the files it was published
 * with, byte for byte; each file's sha256 says which ones two versions share;
 * a missing entry, version or file is a 404 naming it. Any role may read them.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { jest } from '@jest/globals';
import type { EntryFileContent, EntryFileList, ErrorBody } from '../../src/api/contract.js';
import { CATALOGS, rdsPostgresFiles } from '../support/examples.js';
import { startTestEnvcat, type TestEnvcat } from '../support/envcat.js';

jest.setTimeout(90_000);

const DEVELOPER = 'alice-token-123';
let envcat: TestEnvcat;
beforeAll(async () => {
  envcat = await startTestEnvcat({ env: { ENVCAT_TOKENS: `alice:developer:${DEVELOPER}` } });
});
afterAll(async () => {
  await envcat?.close();
});

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** Every file under a folder, by '/'-separated relative path. */
function folderFiles(dir: string): Array<{ path: string; content: string }> {
  const out: Array<{ path: string; content: string }> = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const full = join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push({ path: relative(dir, full).split('\\').join('/'), content: readFileSync(full, 'utf8') });
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

const summaries = (files: Array<{ path: string; content: string }>) =>
  files.map((f) => ({ path: f.path, size: Buffer.byteLength(f.content), sha256: sha256(f.content) }));

describe("an entry version's files", () => {
  it('serves a built-in version’s folder and a published version’s files, and which of them changed', async () => {
    // GIVEN rds-postgres 1.0.0 built in, and 1.1.0 published through the API
    const published = rdsPostgresFiles('1.1.0');
    expect((await envcat.api('POST', '/api/v1/catalogs', { files: published })).status).toBe(201);

    // WHEN a developer lists the files of each version
    const base = '/api/v1/catalogs/rds-postgres/versions';
    const v1 = await envcat.api<EntryFileList>('GET', `${base}/1.0.0/files`, undefined, { token: DEVELOPER });
    const v11 = await envcat.api<EntryFileList>('GET', `${base}/1.1.0/files`, undefined, {
      token: DEVELOPER,
    });

    // THEN 1.0.0 is its folder on disk, file by file, and 1.1.0 what was published
    expect(v1.status).toBe(200);
    expect(v1.body.items).toEqual(summaries(folderFiles(join(CATALOGS, 'rds-postgres'))));
    expect(v11.body).toMatchObject({ name: 'rds-postgres', version: '1.1.0' });
    expect(v11.body.items).toEqual(summaries([...published].sort((a, b) => (a.path < b.path ? -1 : 1))));
    // …with the digest of GET /catalogs/{name}
    const detail = await envcat.api<{ items: Array<{ version: string; digest: string }> }>(
      'GET',
      '/api/v1/catalogs/rds-postgres',
    );
    expect(detail.body.items.find((i) => i.version === '1.1.0')?.digest).toBe(v11.body.digest);
    // …and the sha256s tell the changed files from the same ones
    const before = new Map(v1.body.items.map((f) => [f.path, f.sha256]));
    const changed = v11.body.items.filter((f) => before.has(f.path) && before.get(f.path) !== f.sha256);
    const same = v11.body.items.filter((f) => before.get(f.path) === f.sha256);
    expect(changed.map((f) => f.path)).toEqual([
      'catalog.yaml',
      'terraform/main.tf',
      'terraform/variables.tf',
    ]);
    expect(same.map((f) => f.path)).toEqual(['terraform/outputs.tf', 'terraform/versions.tf']);

    // WHEN one file is read, its path encoded as one segment or given as segments
    for (const path of [
      `${base}/1.1.0/files/terraform%2Fvariables.tf`,
      `${base}/1.1.0/files/terraform/variables.tf`,
    ]) {
      const file = await envcat.api<EntryFileContent>('GET', path, undefined, { token: DEVELOPER });
      // THEN it is the published content, byte for byte
      expect(file.status).toBe(200);
      expect(file.body).toEqual({
        name: 'rds-postgres',
        version: '1.1.0',
        path: 'terraform/variables.tf',
        size: Buffer.byteLength(published.find((f) => f.path === 'terraform/variables.tf')!.content),
        sha256: changed.find((f) => f.path === 'terraform/variables.tf')!.sha256,
        content: published.find((f) => f.path === 'terraform/variables.tf')!.content,
      });
    }
    const example = await envcat.api<EntryFileContent>('GET', `${base}/1.0.0/files/examples%2Fminimal.yaml`);
    expect(example.body.content).toBe(
      readFileSync(join(CATALOGS, 'rds-postgres/examples/minimal.yaml'), 'utf8'),
    );
  });

  it.each([
    [
      'an entry that does not exist',
      '/api/v1/catalogs/no-such/versions/1.0.0/files',
      'no catalog entry named "no-such"',
    ],
    [
      'a version that does not exist',
      '/api/v1/catalogs/rds-postgres/versions/9.9.9/files',
      'rds-postgres has no version 9.9.9',
    ],
    [
      'a file the version does not have',
      '/api/v1/catalogs/rds-postgres/versions/1.0.0/files/terraform%2Fnope.tf',
      'rds-postgres@1.0.0 has no file "terraform/nope.tf"',
    ],
    [
      'a path that climbs out of the entry',
      '/api/v1/catalogs/rds-postgres/versions/1.0.0/files/..%2F..%2Fpackage.json',
      'rds-postgres@1.0.0 has no file "../../package.json"',
    ],
  ])('answers 404 for %s, naming it', async (_case, path, message) => {
    const answer = await envcat.api<ErrorBody>('GET', path);
    expect([answer.status, answer.body.code, answer.body.message]).toEqual([404, 'NOT_FOUND', message]);
  });
});
