/**
 * Bearer tokens configured for the service, each with a subject and a role: `platform` publishes
 * catalog entries and sees and deletes every environment; `developer` creates environments and
 * sees and deletes its own. Tokens are compared as SHA-256 digests in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from './contract.js';

export interface TokenConfig extends Principal {
  token: string;
}

export class TokenAuthenticator {
  private readonly tokens: Array<{ digest: Buffer; principal: Principal }>;

  constructor(tokens: readonly TokenConfig[]) {
    if (tokens.length === 0) throw new Error('at least one API token must be configured');
    this.tokens = tokens.map(({ token, name, role }) => ({
      digest: digest(token),
      principal: { name, role },
    }));
  }

  /** The principal for an `Authorization` header value (`Bearer <token>`), or undefined. */
  authenticate(header: string | undefined): Principal | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    return match?.[1] ? this.authenticateToken(match[1]) : undefined;
  }

  authenticateToken(token: string): Principal | undefined {
    const candidate = digest(token);
    let found: Principal | undefined;
    // Compare with every token so the time taken does not tell which one came close.
    for (const { digest: known, principal } of this.tokens)
      if (timingSafeEqual(known, candidate)) found = principal;
    return found;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/** `name:role:token` entries separated by commas (ENVCAT_TOKENS), e.g. `alice:developer:s3cret`. */
export function parseTokenList(text: string): TokenConfig[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item, index) => {
      const [name, role, ...rest] = item.split(':');
      const token = rest.join(':');
      if (!name || !token || (role !== 'platform' && role !== 'developer'))
        throw new Error(`token entry ${index + 1} must be name:platform|developer:token`);
      return { name, role, token };
    });
}
