/** Examples are tests: every example request of every built-in entry validates and renders. */
import { examples, renderExample } from '../support/examples.js';

describe('built-in examples', () => {
  const all = examples();

  it('exist for every built-in entry', () => {
    const entries = new Set(all.map((e) => e.id.split('/')[0]));
    expect([...entries].sort()).toEqual([
      'datadog-agent',
      'postgres-with-pgadmin',
      'rds-postgres',
      's3-bucket',
      'sample-app',
      'vpc',
    ]);
  });

  it.each(all.map((e) => [e.id, e] as const))('%s validates and renders every step', async (_id, example) => {
    // GIVEN an example request WHEN it is rendered with outputs for every infra instance
    const { env, result } = await renderExample(example);
    // THEN nothing is pending and every instance produced its files
    expect(result.pending).toEqual([]);
    for (const instance of env.instances) {
      const type = instance.entry.document.spec.type;
      if (type !== 'yaml')
        expect(result.files.map((f) => f.path)).toContain(
          `environments/${env.name}/infra/${instance.name}.yaml`,
        );
      if (type !== 'iac')
        expect(result.files.map((f) => f.path)).toContain(
          `environments/${env.name}/apps/${instance.name}.yaml`,
        );
    }
  });
});
