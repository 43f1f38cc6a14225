/** ENVCAT_CRASH_AT: which step boundaries, which passing; the hook fires exactly there. */
import { BOUNDARIES, type Boundary } from '../../src/engine/boundaries.js';
import { crashHook, parseCrashPoints } from '../../src/server/crash-hook.js';
import { loadConfig } from '../../src/server/config.js';

describe('parseCrashPoints', () => {
  it.each<[string, string, Array<[Boundary, number]> | RegExp]>([
    ['one boundary, its first passing', 'create:committed', [['create:committed', 1]]],
    ['the n-th passing', 'wave:committed#3', [['wave:committed', 3]]],
    [
      'several, with spaces',
      ' delete:requested , deletion:apps-removed#2',
      [
        ['delete:requested', 1],
        ['deletion:apps-removed', 2],
      ],
    ],
    ['an unknown boundary', 'create:done', /"create:done" is not a step boundary; one of create:committed/],
    ['a passing of 0', 'wave:committed#0', /whole number of at least 1/],
    ['a passing that is not a number', 'wave:committed#x', /whole number of at least 1/],
    ['two #', 'wave:committed#1#2', /whole number of at least 1/],
  ])('%s', (_name, spec, expected) => {
    const parsed = parseCrashPoints(spec);
    if (expected instanceof RegExp) expect(parsed).toEqual({ problem: expect.stringMatching(expected) });
    else expect(parsed instanceof Map ? [...parsed] : parsed).toEqual(expected);
  });

  it('knows every boundary the service and the engine report', () => {
    const parsed = parseCrashPoints(BOUNDARIES.join(','));
    expect(parsed instanceof Map ? [...parsed.keys()] : parsed).toEqual([...BOUNDARIES]);
  });
});

describe('crashHook', () => {
  it('fires at the chosen passing of the chosen boundary only', () => {
    const fired: string[] = [];
    const hook = crashHook(new Map([['wave:committed', 2]]), (boundary, passing) =>
      fired.push(`${boundary}#${passing}`),
    );
    hook('wave:committed');
    hook('create:committed');
    expect(fired).toEqual([]);
    hook('wave:committed');
    hook('wave:committed');
    expect(fired).toEqual(['wave:committed#2']);
  });
});

describe('ENVCAT_CRASH_AT in the configuration', () => {
  it('is parsed, and a wrong one is a configuration error naming the variable', () => {
    expect(loadConfig({ ENVCAT_CRASH_AT: 'delete:requested' }).crashPoints).toEqual(
      new Map([['delete:requested', 1]]),
    );
    expect(loadConfig({}).crashPoints).toBeUndefined();
    expect(() => loadConfig({ ENVCAT_CRASH_AT: 'nowhere' })).toThrow(
      expect.objectContaining({ problems: [expect.objectContaining({ path: '/ENVCAT_CRASH_AT' })] }),
    );
  });
});
