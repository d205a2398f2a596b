// API keys: Authorization: Bearer <key>, checked against SHA-256 hashes in constant time.
// With no keys configured the server is open, which startServer allows only on loopback.
import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { ApiKey, Config, Prices, RateLimits } from '../config.js';
import { sha256 } from '../config.js';

/** Who is calling: a key's id (never the key), its limits and prices. */
export interface Principal {
  id: string;
  rateLimits: RateLimits;
  prices: Prices;
}

export const ANONYMOUS_ID = 'anonymous';

export class KeyStore {
  private readonly keys: ApiKey[];
  constructor(
    config: Pick<Config, 'auth' | 'rateLimits' | 'prices'>,
    private readonly defaults = { rateLimits: config.rateLimits, prices: config.prices },
  ) {
    this.keys = config.auth.keys;
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  private principal(key: ApiKey | null): Principal {
    const d = this.defaults;
    return {
      id: key?.id ?? ANONYMOUS_ID,
      rateLimits: {
        requestsPerMinute: key?.rateLimits?.requestsPerMinute ?? d.rateLimits.requestsPerMinute,
        tokensPerMinute: key?.rateLimits?.tokensPerMinute ?? d.rateLimits.tokensPerMinute,
      },
      prices: {
        inputPerM: key?.prices?.inputPerM ?? d.prices.inputPerM,
        outputPerM: key?.prices?.outputPerM ?? d.prices.outputPerM,
      },
    };
  }

  anonymous(): Principal {
    return this.principal(null);
  }

  /** The key's principal, or null. Every stored hash is compared, whichever matches, so timing says nothing. */
  authenticate(authorization: string | undefined): Principal | null {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return null;
    const presented = sha256(m[1]);
    let found: ApiKey | null = null;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.sha256) && !found) found = key;
    }
    return found ? this.principal(found) : null;
  }
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}

/** Refuse to serve without keys anywhere but loopback unless the operator said so explicitly. */
export function checkBind(config: Pick<Config, 'host' | 'auth'>): void {
  if (config.auth.keys.length > 0 || config.auth.allowUnauthenticated || isLoopback(config.host)) return;
  throw new Error(
    `refusing to listen on ${config.host} without API keys: set SPECEDIT_API_KEYS or SPECEDIT_API_KEYS_FILE, ` +
      `or SPECEDIT_ALLOW_UNAUTHENTICATED=1 to serve it open`,
  );
}
