/** The review's parameter list: titles, chosen values first, defaults apart, secrets masked. */
import type { CatalogVersion } from '../../src/api/contract.js';
import { MASKED, reviewRows } from '../../src/ui/logic/review.js';
import { builtInVersion } from './entries.js';

const version: Pick<CatalogVersion, 'parameters' | 'secretParameters'> = {
  parameters: {
    type: 'object',
    properties: {
      databaseName: { type: 'string', title: 'Database name' },
      allocatedStorage: { type: 'integer', title: 'Storage (GiB)', default: 20 },
      instanceClass: { type: 'string', default: 'db.t3.micro' },
      password: { type: 'string', title: 'Password', writeOnly: true },
      endpoint: { type: 'string', title: 'Endpoint', default: '' },
      optional: { type: 'string' },
    },
  },
  secretParameters: ['password'],
};

describe('reviewRows', () => {
  it.each([
    [
      'a chosen value, a default left alone, one set to its default',
      { values: { databaseName: 'app', allocatedStorage: 20 }, references: {} },
      [{ name: 'databaseName', title: 'Database name', value: 'app', kind: 'chosen' }],
      [
        { name: 'allocatedStorage', title: 'Storage (GiB)', value: '20', kind: 'default' },
        { name: 'instanceClass', title: 'Instance class', value: 'db.t3.micro', kind: 'default' },
        { name: 'endpoint', title: 'Endpoint', value: '""', kind: 'default' },
      ],
    ],
    [
      'a secret, masked, and a reference',
      {
        values: { password: 'hunter2-hunter2', allocatedStorage: 50 },
        references: { endpoint: 'db.endpoint' },
      },
      [
        { name: 'allocatedStorage', title: 'Storage (GiB)', value: '50', kind: 'chosen' },
        { name: 'password', title: 'Password', value: MASKED, kind: 'secret' },
        { name: 'endpoint', title: 'Endpoint', value: 'db.endpoint', kind: 'reference' },
      ],
      [{ name: 'instanceClass', title: 'Instance class', value: 'db.t3.micro', kind: 'default' }],
    ],
  ])('%s', (_, instance, chosen, defaults) => {
    expect(reviewRows(instance, version)).toEqual({ chosen, defaults });
  });

  it('never shows a secret value of a built-in entry', async () => {
    const datadog = await builtInVersion('datadog-agent');
    const rows = reviewRows(
      { values: { apiKey: '0123456789abcdef0123456789abcdef' }, references: {} },
      datadog,
    );
    expect(JSON.stringify(rows)).not.toContain('0123456789abcdef');
    expect(rows.chosen).toContainEqual({ name: 'apiKey', title: 'API key', value: MASKED, kind: 'secret' });
  });
});
