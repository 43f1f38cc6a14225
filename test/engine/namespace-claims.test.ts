/** The namespace claims index: who holds which namespace, from the paths in the platform repo. */
import { NamespaceClaims } from '../../src/engine/namespace-claims.js';
import { namespaceClaim, parseNamespaceClaim } from '../../src/core/index.js';

describe('namespace claims', () => {
  it.each([
    { paths: [], namespace: 'dev', owner: undefined },
    { paths: ['namespaces/dev/alpha'], namespace: 'dev', owner: 'alpha' },
    { paths: ['namespaces/dev/alpha'], namespace: 'qa', owner: undefined },
    // two claims of one namespace can only be made by hand: the first by name wins, on every replica
    { paths: ['namespaces/dev/zeta', 'namespaces/dev/alpha'], namespace: 'dev', owner: 'alpha' },
    // what is not a claim is ignored
    {
      paths: ['namespaces/dev', 'namespaces/dev/alpha/extra', 'environments/dev/environment.yaml'],
      namespace: 'dev',
      owner: undefined,
    },
  ])('GIVEN $paths THEN $namespace belongs to $owner', ({ paths, namespace, owner }) => {
    expect(new NamespaceClaims(paths).owner(namespace)).toBe(owner);
  });

  it('GIVEN claims THEN removing one (or a directory) releases only that one', () => {
    const claims = new NamespaceClaims([
      'namespaces/dev/alpha',
      'namespaces/dev/beta',
      'namespaces/qa/alpha',
    ]);
    expect(claims.claimsOf('alpha')).toEqual(['namespaces/dev/alpha', 'namespaces/qa/alpha']);
    expect([...claims.environments()].sort()).toEqual(['alpha', 'beta']);
    claims.remove('namespaces/dev/alpha');
    expect(claims.owner('dev')).toBe('beta');
    claims.remove('namespaces/qa/');
    expect(claims.claimsOf('alpha')).toEqual([]);
    expect(claims.owner('qa')).toBeUndefined();
  });

  it('GIVEN a claim file written for an environment THEN its path parses back to both names', () => {
    const claim = namespaceClaim('team-a', 'dev-1');
    expect(claim.path).toBe('namespaces/team-a/dev-1');
    expect(parseNamespaceClaim(claim.path)).toEqual({ namespace: 'team-a', environment: 'dev-1' });
    expect(claim.content).toContain('belongs to the environment dev-1');
  });
});
