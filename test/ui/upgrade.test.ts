import type { CatalogVersion, Problem } from '../../src/api/contract.js';
import { upgradeErrors, versionChoices, type UpgradeErrors } from '../../src/ui/logic/upgrade.js';

const version = (v: string, state: Partial<CatalogVersion> = {}): CatalogVersion => ({
  version: v,
  digest: `sha256:${v}`,
  type: 'yaml',
  parameters: { type: 'object' },
  outputs: [],
  secretParameters: [],
  ...state,
});

describe('versionChoices', () => {
  it.each([
    {
      name: 'newer ones are upgrades, the running one is current and not choosable',
      current: '1.0.0',
      versions: [version('1.0.0'), version('1.1.0')],
      expected: [
        { version: '1.1.0', kind: 'upgrade', label: '1.1.0', disabled: false },
        { version: '1.0.0', kind: 'current', label: '1.0.0 (current)', disabled: true },
      ],
    },
    {
      name: 'older ones are labelled rollback; newest first whatever the order given',
      current: '1.1.0',
      versions: [version('0.9.0'), version('1.1.0'), version('1.0.0')],
      expected: [
        { version: '1.1.0', kind: 'current', label: '1.1.0 (current)', disabled: true },
        { version: '1.0.0', kind: 'rollback', label: '1.0.0 (rollback)', disabled: false },
        { version: '0.9.0', kind: 'rollback', label: '0.9.0 (rollback)', disabled: false },
      ],
    },
    {
      name: 'yanked ones are disabled, deprecated ones stay choosable and say so',
      current: '1.0.0',
      versions: [
        version('2.0.0', { yanked: true, deprecated: true }),
        version('1.2.0', { deprecated: true }),
        version('0.1.0', { yanked: true }),
      ],
      expected: [
        { version: '2.0.0', kind: 'upgrade', label: '2.0.0 (yanked)', disabled: true },
        { version: '1.2.0', kind: 'upgrade', label: '1.2.0 (deprecated)', disabled: false },
        { version: '0.1.0', kind: 'rollback', label: '0.1.0 (rollback, yanked)', disabled: true },
      ],
    },
    {
      name: 'a pre-release of the running version comes before it: a rollback',
      current: '2.0.0',
      versions: [version('2.0.0-rc.1')],
      expected: [
        { version: '2.0.0-rc.1', kind: 'rollback', label: '2.0.0-rc.1 (rollback)', disabled: false },
      ],
    },
    {
      name: 'not pinned yet: every version is an upgrade',
      current: undefined,
      versions: [version('1.0.0')],
      expected: [{ version: '1.0.0', kind: 'upgrade', label: '1.0.0', disabled: false }],
    },
  ])('$name', ({ current, versions, expected }) => {
    // GIVEN the entry's versions and the one the instance runs WHEN the picker lists them THEN
    expect(versionChoices(current, versions)).toEqual(expected);
  });
});

describe('upgradeErrors', () => {
  const instances = [{ name: 'db' }, { name: 'web' }];
  const none: UpgradeErrors = { to: [], instance: [], parameters: [], general: [] };
  it.each<{ name: string; problems: Problem[]; expected: UpgradeErrors }>([
    {
      name: 'a yanked or unknown target is at the version picker',
      problems: [{ path: '/to', message: 'sample-app@1.2.0 is yanked: choose another version' }],
      expected: { ...none, to: ['sample-app@1.2.0 is yanked: choose another version'] },
    },
    {
      name: 'an unknown instance is at the instance',
      problems: [{ path: '/instance', message: 'no instance named "x"' }],
      expected: { ...none, instance: ['no instance named "x"'] },
    },
    {
      name: 'a parameter the target removed is at that instance’s parameter, by position',
      problems: [
        { path: '/spec/catalogs/1/parameters/logLevel', message: 'is not a parameter of 2.0.0' },
        { path: '/spec/catalogs/0/parameters/tags/0', message: 'must be a string' },
      ],
      expected: {
        ...none,
        parameters: [
          { instance: 'web', parameter: 'logLevel', message: 'is not a parameter of 2.0.0' },
          { instance: 'db', parameter: 'tags/0', message: 'must be a string' },
        ],
      },
    },
    {
      name: 'a pointer no field shows is general, with its pointer',
      problems: [
        { path: '/spec/catalogs/0/version', message: 'db is not pinned to a version yet' },
        { path: '/spec/catalogs/7/parameters/x', message: 'no such instance' },
        { path: '', message: 'the committed request has no spec.catalogs' },
      ],
      expected: {
        ...none,
        general: [
          '/spec/catalogs/0/version: db is not pinned to a version yet',
          '/spec/catalogs/7/parameters/x: no such instance',
          'the committed request has no spec.catalogs',
        ],
      },
    },
  ])('$name', ({ problems, expected }) => {
    // GIVEN the server's problems WHEN sorted to the panel's fields THEN each is where it belongs
    expect(upgradeErrors(problems, instances)).toEqual(expected);
  });
});
