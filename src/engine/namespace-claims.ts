/**
 * The namespace claims of the platform repo (`namespaces/<namespace>/<environment>`, see
 * core/layout), by namespace and by environment, kept in step with the engine's view of the
 * repo. A namespace with claims by several environments (only possible by hand) belongs to the
 * first of them by name, so every replica answers the same.
 */
import { isNamespaceClaimPath, namespaceClaimPath, parseNamespaceClaim } from '../core/index.js';

export class NamespaceClaims {
  private readonly byNamespace = new Map<string, Set<string>>();

  constructor(paths: Iterable<string> = []) {
    for (const path of paths) this.set(path);
  }

  /** True when the path is a claim (so the change belongs here). */
  static isClaimPath(path: string): boolean {
    return isNamespaceClaimPath(path);
  }

  set(path: string): void {
    const claim = parseNamespaceClaim(path);
    if (!claim) return;
    let owners = this.byNamespace.get(claim.namespace);
    if (!owners) this.byNamespace.set(claim.namespace, (owners = new Set()));
    owners.add(claim.environment);
  }

  /** Removes a claim, or every claim under a directory (a path ending in '/'). */
  remove(path: string): void {
    if (path.endsWith('/')) {
      for (const claim of this.paths()) if (claim.startsWith(path)) this.remove(claim);
      return;
    }
    const claim = parseNamespaceClaim(path);
    if (!claim) return;
    const owners = this.byNamespace.get(claim.namespace);
    owners?.delete(claim.environment);
    if (owners?.size === 0) this.byNamespace.delete(claim.namespace);
  }

  owner(namespace: string): string | undefined {
    const owners = this.byNamespace.get(namespace);
    return owners && owners.size > 0 ? [...owners].sort()[0] : undefined;
  }

  /** The claim files an environment holds. */
  claimsOf(environment: string): string[] {
    const paths: string[] = [];
    for (const [namespace, owners] of this.byNamespace)
      if (owners.has(environment)) paths.push(namespaceClaimPath(namespace, environment));
    return paths.sort();
  }

  /** Every environment that holds a claim. */
  environments(): Set<string> {
    const names = new Set<string>();
    for (const owners of this.byNamespace.values()) for (const name of owners) names.add(name);
    return names;
  }

  private *paths(): Generator<string> {
    for (const [namespace, owners] of this.byNamespace)
      for (const environment of owners) yield namespaceClaimPath(namespace, environment);
  }
}
