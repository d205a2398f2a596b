// Service configuration: defaults, overridden by SPECEDIT_* environment variables, then by CLI flags.

export interface Limits {
  /** Largest `code` accepted, in UTF-8 bytes. */
  codeBytes: number;
  /** Largest `update` (and `instruction`) accepted, in UTF-8 bytes. */
  updateBytes: number;
}

export interface Config {
  host: string;
  port: number;
  limits: Limits;
}

export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 8787,
  limits: { codeBytes: 1024 * 1024, updateBytes: 256 * 1024 },
};

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.SPECEDIT_HOST || DEFAULTS.host,
    port: intFrom(env, 'SPECEDIT_PORT', DEFAULTS.port),
    limits: {
      codeBytes: intFrom(env, 'SPECEDIT_MAX_CODE_BYTES', DEFAULTS.limits.codeBytes),
      updateBytes: intFrom(env, 'SPECEDIT_MAX_UPDATE_BYTES', DEFAULTS.limits.updateBytes),
    },
  };
}
