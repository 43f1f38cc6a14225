/** The HTTP edge's pure decisions: the dryRun values, public paths, and what the audit line says. */
import { isPublicPath } from '../../src/api/app.js';
import { auditAction } from '../../src/api/audit.js';
import { dryRunFlag } from '../../src/api/dry-run.js';
import { entryFilesProblems } from '../../src/core/index.js';

describe('dryRun query parameter', () => {
  it.each<[unknown, boolean | 'refused']>([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['All', true],
    ['1', 'refused'],
    ['0', 'refused'],
    ['yes', 'refused'],
    ['TRUE', 'refused'],
    ['all', 'refused'],
    ['', 'refused'],
    [['true', 'false'], 'refused'],
    [{ a: 'true' }, 'refused'],
  ])('%j → %s', (value, expected) => {
    // GIVEN the query value WHEN read THEN a dry run, a real request, or a refusal naming dryRun
    const flag = dryRunFlag(value);
    if (expected === 'refused') {
      expect(flag.ok).toBe(false);
      expect(!flag.ok && flag.message).toMatch(/^query parameter dryRun must be "true" or "All"/);
    } else expect(flag).toEqual({ ok: true, dryRun: expected });
  });
});

describe('public paths (no token)', () => {
  it.each<[string, boolean]>([
    ['/healthz', true],
    ['/healthz/', true],
    ['/healthz//', true],
    ['/metrics', true],
    ['/metrics/', true],
    ['/api/openapi.json', true],
    ['/api/docs', true],
    ['/api/docs/', true],
    ['/api/docs/swagger-ui.css', true],
    ['/api/docsx', false],
    ['/healthzx', false],
    ['/api/v1/environments', false],
    ['/api/v1/healthz', false],
    ['/', false],
  ])('%s → %s', (path, open) => {
    expect(isPublicPath(path)).toBe(open);
  });
});

describe('audit action and target', () => {
  it.each<[string, string, unknown, { action: string; target: string }]>([
    ['POST', '/api/v1/environments', 'dev-x', { action: 'environment.create', target: 'environment/dev-x' }],
    [
      'POST',
      '/api/v1/environments',
      'Sup3r S3cret!',
      { action: 'environment.create', target: 'environment/?' },
    ],
    ['POST', '/api/v1/environments', undefined, { action: 'environment.create', target: 'environment' }],
    [
      'DELETE',
      '/api/v1/environments/dev-x',
      undefined,
      { action: 'environment.delete', target: 'environment/dev-x' },
    ],
    [
      'PUT',
      '/api/v1/environments/dev-x/',
      undefined,
      { action: 'environment.update', target: 'environment/dev-x' },
    ],
    [
      'POST',
      '/api/v1/environments/dev-x/retry',
      undefined,
      { action: 'environment.retry', target: 'environment/dev-x' },
    ],
    ['POST', '/api/v1/catalogs', undefined, { action: 'catalog.publish', target: 'catalog' }],
    [
      'PATCH',
      '/api/v1/catalogs/redis/versions/1.0.0',
      undefined,
      { action: 'catalog.patch', target: 'catalog/redis/versions/1.0.0' },
    ],
    ['POST', '/healthz', undefined, { action: 'post', target: '/healthz' }],
    [
      'DELETE',
      '/api/v1/environments/a\u0000b',
      undefined,
      { action: 'environment.delete', target: 'environment/?' },
    ],
  ])('%s %s (name %j)', (method, path, bodyName, expected) => {
    // GIVEN a request line WHEN audited THEN the action and target come from the route and valid names only
    expect(auditAction(method, path, bodyName)).toEqual(expected);
  });

  it.each([
    ['DELETE', `/api/v1/environments/${'x'.repeat(1000)}`, 'environment/?'],
    ['DELETE', '/api/v1/environments/Sup3rS3cret%E0%A4%A', 'environment/?'],
    ['DELETE', '/api/v1/environments/dev x', 'environment/?'],
    ['POST', '/other/Sup3r S3cret/x', '/other/?/x'],
  ])('writes only names: %s %s → %s', (method, path, target) => {
    // GIVEN a path with something that is not a name WHEN audited THEN it is written as "?"
    expect(auditAction(method, path).target).toBe(target);
  });
});

describe('published file paths point into the request', () => {
  it.each<[string[], Array<{ path: string; message: string | RegExp }>]>([
    [['catalog.yaml', 'terraform/main.tf'], []],
    [
      ['catalog.yaml', 'a', 'b', 'c', 'd', '../x'],
      [{ path: '/files/5/path', message: 'must not contain ".."' }],
    ],
    [
      ['catalog.yaml', '/etc/passwd'],
      [{ path: '/files/1/path', message: 'must be relative to the entry folder' }],
    ],
    [
      ['catalog.yaml', 'C:/x.tf'],
      [{ path: '/files/1/path', message: 'must be relative to the entry folder' }],
    ],
    [['catalog.yaml', 'a//b.tf'], [{ path: '/files/1/path', message: /must not contain empty segments/ }]],
    [['catalog.yaml', './a.tf'], [{ path: '/files/1/path', message: 'must not contain "." segments' }]],
    [['catalog.yaml', 'x/.git/config'], [{ path: '/files/1/path', message: 'must not touch ".git"' }]],
    [['catalog.yaml', 'a\\b.tf'], [{ path: '/files/1/path', message: 'must use "/" as separator' }]],
    [
      ['catalog.yaml', 'a\u0000.tf'],
      [{ path: '/files/1/path', message: 'must not contain control characters' }],
    ],
    [
      ['catalog.yaml', ''],
      [{ path: '/files/1/path', message: 'must name a file or folder inside the entry' }],
    ],
    [
      ['catalog.yaml', 'catalog.yaml'],
      [{ path: '/files/1/path', message: 'the same path as /files/0/path' }],
    ],
    [
      ['catalog.yaml', 'a', 'a/b.tf'],
      [{ path: '/files/2/path', message: 'is inside a path that is a file' }],
    ],
  ])('%j', (paths, expected) => {
    // GIVEN a publish request's file paths WHEN checked THEN each problem is at /files/<i>/path
    expect(entryFilesProblems(paths.map((path) => ({ path })))).toEqual(
      expected.map((e) => ({
        path: e.path,
        message: typeof e.message === 'string' ? e.message : expect.stringMatching(e.message),
      })),
    );
  });
});
