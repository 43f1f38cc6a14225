/**
 * A deletion decided on an old read must not remove what was created since. A folder Application
 * left over from an earlier environment of the same name wakes a deletion pass (nothing of it is in
 * Git); while that pass awaits the cluster, the API creates a new environment of that name. Before,
 * the pass then saw the new files, took them for the old environment's and committed "delete
 * environment", removing the new request. Now every platform commit of a deletion is a
 * compare-and-swap on the request the pass read (src/engine/deletion.ts), and its Secrets are deleted
 * only if the request at the remote is still the one read: the old pass deletes nothing of the new
 * environment (before, it deleted its Secrets), and the next pass provisions it. On the in-memory twins, the interleaving forced by
 * running the create inside the pass's list of Secrets.
 */
import { SECRET, domainRequest, useEngineHarness } from '../support/engine-harness.js';
import { environmentFile } from '../../src/core/index.js';

const ENV = 'dev-again';

describe('Engine on the twins: a deletion racing a create of the same name', () => {
  const h = useEngineHarness();

  it('deletes nothing of the new environment (neither its files nor its Secrets), and the new one is provisioned', async () => {
    // GIVEN a folder Application of an environment of that name is still in the cluster (nothing in Git),
    // and the API creates the new environment while the deletion pass lists the Secrets
    const cluster = h().cluster;
    const list = cluster.list.bind(cluster);
    let created = false;
    cluster.list = async (type, options) => {
      if (
        !created &&
        type.kind === SECRET.kind &&
        options?.labelSelector?.includes(`envcat.io/environment=${ENV}`)
      ) {
        created = true;
        await h().create(domainRequest(ENV));
      }
      return list(type, options);
    };
    await h().parentApplication('platform', ENV);

    // WHEN the engine settles
    await h().settle();

    // THEN the create happened inside the deletion pass, and the request is still in Git
    expect(created).toBe(true);
    expect(h().file('platform', environmentFile(ENV))).toBeDefined();
    const changeSets = h()
      .commits('platform')
      .flatMap((c) => c.changeSets);
    expect(changeSets.filter((m) => m.includes(`${ENV}: delete`))).toEqual([]);
    // …its Secrets are still there (the pass listed them, but read the request again before deleting)
    const secrets = await list(SECRET, { labelSelector: `envcat.io/environment=${ENV}` });
    expect(secrets.map((s) => s.metadata.name)).toContain(`${ENV}-monitoring-params`);
    // …and the new environment is provisioned: its first wave is committed, no step blocked
    expect(changeSets).toContainEqual(expect.stringMatching(new RegExp(`^envcat: ${ENV}: wave 1`)));
    expect(
      h()
        .steps(ENV)
        .filter((s) => s.includes('SecretNotFound')),
    ).toEqual([]);
  });
});
