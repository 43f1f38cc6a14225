import { InputError } from '../../src/core/errors/index.js';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from '../../src/cluster/label-selector.js';

describe('parseLabelSelector', () => {
  it.each([
    ['', []],
    ['app', [{ key: 'app', operator: 'exists', values: [] }]],
    ['!app', [{ key: 'app', operator: '!exists', values: [] }]],
    ['app=web', [{ key: 'app', operator: '=', values: ['web'] }]],
    ['app==web', [{ key: 'app', operator: '=', values: ['web'] }]],
    ['app!=web', [{ key: 'app', operator: '!=', values: ['web'] }]],
    ['app=', [{ key: 'app', operator: '=', values: [''] }]],
    ['tier in (b, a,a)', [{ key: 'tier', operator: 'in', values: ['a', 'b'] }]],
    ['tier notin (a)', [{ key: 'tier', operator: 'notin', values: ['a'] }]],
    ['tier in (a,)', [{ key: 'tier', operator: 'in', values: ['', 'a'] }]],
    ['replicas > 2', [{ key: 'replicas', operator: 'gt', values: ['2'] }]],
    ['replicas<10', [{ key: 'replicas', operator: 'lt', values: ['10'] }]],
    [
      'envcat.io/environment=dev, envcat.io/part in (infra,apps),!envcat.io/paused',
      [
        { key: 'envcat.io/environment', operator: '=', values: ['dev'] },
        { key: 'envcat.io/part', operator: 'in', values: ['apps', 'infra'] },
        { key: 'envcat.io/paused', operator: '!exists', values: [] },
      ],
    ],
  ])('GIVEN %j THEN it parses', (selector, expected) => {
    expect(parseLabelSelector(selector)).toEqual(expected);
  });

  it.each([
    ['app=web,', 'trailing ","'],
    ['app in ()', 'must not be empty'],
    ['app in (a', 'expected "," or ")"'],
    ['app in a', 'expected "(" after "in"'],
    ['app = web extra', 'expected "," between requirements'],
    ['Bad Key=1', 'unexpected "Key" after "Bad"'],
    ['-bad=1', 'invalid label key "-bad"'],
    ['example.com/=1', 'name part must be non-empty'],
    ['UPPER.example.com/x=1', 'prefix part must be a lowercase RFC 1123 subdomain'],
    ['app=-x', 'invalid label value "-x"'],
    [`app=${'v'.repeat(64)}`, 'must be no more than 63 characters'],
    ['replicas > two', 'must be an integer'],
    ['!', 'expected a label key after "!"'],
    ['=x', 'expected a label key'],
  ])('GIVEN %j THEN it throws an InputError mentioning %j', (selector, message) => {
    const attempt = () => parseLabelSelector(selector);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(message);
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', tier: 'front', replicas: '3', empty: '' };
  it.each([
    ['', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['empty=', true],
    ['tier in (front,back)', true],
    ['tier in (back)', false],
    ['missing in (x)', false],
    ['tier notin (back)', true],
    ['tier notin (front)', false],
    ['missing notin (x)', true],
    ['replicas > 2', true],
    ['replicas < 3', false],
    ['app > 1', false],
    ['missing > 1', false],
    ['app=web,tier=back', false],
    ['app=web,tier=front,!missing', true],
  ])('GIVEN labels %#: selector %j THEN matches is %s', (selector, expected) => {
    expect(matchesLabels(parseLabelSelector(selector), labels)).toBe(expected);
  });

  it('GIVEN an object without labels THEN only absence requirements match', () => {
    expect(matchesLabels(parseLabelSelector('!app,app!=x,app notin (y)'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector('app'), undefined)).toBe(false);
  });
});

describe('field selectors', () => {
  const fields = (field: string) => ({ 'metadata.name': 'db', 'metadata.namespace': 'dev' })[field];
  it.each([
    ['metadata.name=db', true],
    ['metadata.name==db', true],
    ['metadata.name!=db', false],
    ['metadata.name=db,metadata.namespace=dev', true],
    ['metadata.name=db,metadata.namespace=prod', false],
    ['metadata.namespace!=prod', true],
    ['', true],
  ])('GIVEN %j THEN matches is %s', (selector, expected) => {
    expect(matchesFields(parseFieldSelector(selector), fields)).toBe(expected);
  });

  it.each([
    ['spec.replicas=1', 'field label not supported: spec.replicas'],
    ['metadata.name', "can't understand 'metadata.name'"],
    ['metadata.name>1', "can't understand"],
  ])('GIVEN %j THEN it throws %j', (selector, message) => {
    expect(() => parseFieldSelector(selector)).toThrow(message);
  });
});
