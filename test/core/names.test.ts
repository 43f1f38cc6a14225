/** Kubernetes names and keys: the checks request validation, the cluster adapter and the simulator share. */
import { dns1123SubdomainProblem, labelKeyProblem, labelValueProblem } from '../../src/core/names/index.js';

describe('labelKeyProblem', () => {
  it.each<[string, string | undefined]>([
    ['app', undefined],
    ['app.kubernetes.io/name', undefined],
    ['envcat.io/entry-version', undefined],
    ['A_b.c', undefined],
    [`${'k'.repeat(63)}`, undefined],
    [`${'k'.repeat(64)}`, 'name part must be no more than 63 characters'],
    [`${'p'.repeat(254)}/k`, 'prefix part must be a lowercase RFC 1123 subdomain'],
    ['/k', 'prefix part must be non-empty'],
    ['example.com/', 'name part must be non-empty'],
    ['', 'name part must be non-empty'],
    ['Example.com/k', 'prefix part must be a lowercase RFC 1123 subdomain'],
    [
      'a b',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    ],
    [
      '-app',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    ],
  ])('GIVEN the key %j THEN %j', (key, problem) => {
    expect(labelKeyProblem(key)).toBe(problem);
  });
});

describe('labelValueProblem', () => {
  it.each<[string, string | undefined]>([
    ['', undefined],
    ['v1.2.3', undefined],
    ['v'.repeat(63), undefined],
    ['v'.repeat(64), 'must be no more than 63 characters'],
    [
      'a b',
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    ],
  ])('GIVEN the value %j THEN %j', (value, problem) => {
    expect(labelValueProblem(value)).toBe(problem);
  });
});

describe('dns1123SubdomainProblem', () => {
  it.each<[string, RegExp | undefined]>([
    ['db-params', undefined],
    ['a.b-c.d', undefined],
    ['', /must not be empty/],
    ['a'.repeat(254), /at most 253 characters \(got 254\)/],
    ['Db', /DNS-1123 subdomain/],
    ['a..b', /DNS-1123 subdomain/],
    ['-a', /DNS-1123 subdomain/],
  ])('GIVEN %j THEN %s', (name, problem) => {
    const found = dns1123SubdomainProblem(name);

    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });
});
