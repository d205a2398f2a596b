// Service configuration: defaults, overridden by SPECEDIT_* environment variables, then by CLI flags.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

export interface Limits {
  /** Largest `code` accepted, in UTF-8 bytes. */
  codeBytes: number;
  /** Largest `update` (and `instruction`) accepted, in UTF-8 bytes. */
  updateBytes: number;
}

/** $ per million tokens; 0 means not priced. */
export interface Prices {
  inputPerM: number;
  outputPerM: number;
}

/** Per-minute budgets; 0 means unlimited. */
export interface RateLimits {
  requestsPerMinute: number;
  tokensPerMinute: number;
}

/** An API key as stored: only its SHA-256, with optional per-key limits and prices. */
export interface ApiKey {
  id: string;
  sha256: Buffer;
  rateLimits?: Partial<RateLimits>;
  prices?: Partial<Prices>;
}

export interface AuthConfig {
  keys: ApiKey[];
  /** Serve without keys on a non-loopback address (SPECEDIT_ALLOW_UNAUTHENTICATED=1). */
  allowUnauthenticated: boolean;
  /** /metrics without a key (SPECEDIT_METRICS_PUBLIC=1); otherwise it needs one when keys are set. */
  metricsPublic: boolean;
}

/** A remote OpenAI-compatible server (vLLM, SGLang, a hosted endpoint, another specedit). */
export interface BackendConfig {
  name: string;
  /** Base URL including the version path, e.g. http://10.0.0.5:8000/v1 */
  baseUrl: string;
  apiKey?: string;
  /** Model id exposed here → model id sent upstream. */
  models: Record<string, string>;
  /** Path or URL probed for health; default `<baseUrl>/models`. */
  health?: string;
  /** Add `prediction: {type: "content", content: <original code>}` to apply requests that have none. */
  sendPrediction: boolean;
}

export type LogMode = 'json' | 'off';

export interface Config {
  host: string;
  port: number;
  limits: Limits;
  auth: AuthConfig;
  /** Defaults for keys without their own (and for the anonymous caller when no keys are configured). */
  rateLimits: RateLimits;
  prices: Prices;
  /** Per-request time limit for model-path (backend) requests, stream included. */
  requestTimeoutMs: number;
  log: LogMode;
  backends: BackendConfig[];
  /** Model (one of the backends' exposed ids) that `auto` falls back to when the structural merge cannot answer. */
  autoFallbackModel?: string;
  healthIntervalMs: number;
  /** Structural merges: worker threads (0: on the event loop, for embedding and tests), time budget, queue bound. */
  merge: { threads: number; budgetMs: number; maxQueued: number };
  /** An SSE stream whose client has not read for this long is closed and its work cancelled. */
  streamStallMs: number;
}

/** Programmatic defaults (tests, benches, embedding): no keys, no limits, no request logs. */
export const DEFAULTS: Config = {
  host: '127.0.0.1',
  port: 8787,
  limits: { codeBytes: 1024 * 1024, updateBytes: 256 * 1024 },
  auth: { keys: [], allowUnauthenticated: false, metricsPublic: false },
  rateLimits: { requestsPerMinute: 0, tokensPerMinute: 0 },
  prices: { inputPerM: 0, outputPerM: 0 },
  requestTimeoutMs: 120_000,
  log: 'off',
  backends: [],
  healthIntervalMs: 5000,
  merge: { threads: 0, budgetMs: 500, maxQueued: 256 },
  streamStallMs: 30_000,
};

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function numberFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

const flag = (env: NodeJS.ProcessEnv, name: string) => /^(1|true|yes)$/i.test(env[name] ?? '');

export const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A key given in clear (SPECEDIT_API_KEYS) gets a stable id from its hash, never the key itself. */
export function plainKey(key: string): ApiKey {
  const h = sha256(key);
  return { id: `key-${h.toString('hex').slice(0, 8)}`, sha256: h };
}

const KeysFileSchema = z.object({
  keys: z.array(
    z
      .object({
        id: z.string().min(1).max(64).regex(/^[\w.@-]+$/, 'id: letters, digits, _ . @ - only'),
        sha256: z.string().regex(/^[0-9a-f]{64}$/i, 'sha256 must be 64 hex digits (printf %s KEY | sha256sum)'),
        requests_per_minute: z.number().int().nonnegative().optional(),
        tokens_per_minute: z.number().int().nonnegative().optional(),
        price_input_per_m: z.number().nonnegative().optional(),
        price_output_per_m: z.number().nonnegative().optional(),
      })
      .strict(),
  ),
});

export function parseKeysFile(text: string, source = 'keys file'): ApiKey[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = KeysFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const ids = new Set<string>();
  return parsed.data.keys.map((k) => {
    if (ids.has(k.id)) throw new Error(`${source}: duplicate key id "${k.id}"`);
    ids.add(k.id);
    return {
      id: k.id,
      sha256: Buffer.from(k.sha256, 'hex'),
      rateLimits: { requestsPerMinute: k.requests_per_minute, tokensPerMinute: k.tokens_per_minute },
      prices: { inputPerM: k.price_input_per_m, outputPerM: k.price_output_per_m },
    };
  });
}

const BackendsSchema = z.array(
  z
    .object({
      name: z.string().min(1).max(64).regex(/^[\w.-]+$/),
      base_url: z.url(),
      api_key: z.string().optional(),
      /** Name of an environment variable holding the key (keeps it out of the JSON). */
      api_key_env: z.string().optional(),
      models: z.union([z.array(z.string().min(1)).min(1), z.record(z.string().min(1), z.string().min(1))]),
      health: z.string().optional(),
      send_prediction: z.boolean().optional(),
    })
    .strict(),
);

export function parseBackends(text: string, env: NodeJS.ProcessEnv = process.env, source = 'SPECEDIT_BACKENDS'): BackendConfig[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = BackendsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.map((b) => {
    const apiKey = b.api_key ?? (b.api_key_env ? env[b.api_key_env] : undefined);
    if (b.api_key_env && !apiKey) throw new Error(`${source}: backend "${b.name}": environment variable ${b.api_key_env} is not set`);
    const models = Array.isArray(b.models) ? Object.fromEntries(b.models.map((m) => [m, m])) : b.models;
    if ('auto' in models) throw new Error(`${source}: backend "${b.name}": "auto" is this server's own model; expose the upstream's under another id ({"remote-auto": "auto"})`);
    return { name: b.name, baseUrl: b.base_url.replace(/\/+$/, ''), apiKey, models, health: b.health, sendPrediction: b.send_prediction ?? false };
  });
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const keys: ApiKey[] = [];
  for (const k of (env.SPECEDIT_API_KEYS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) keys.push(plainKey(k));
  if (env.SPECEDIT_API_KEYS_FILE) keys.push(...parseKeysFile(readFileSync(env.SPECEDIT_API_KEYS_FILE, 'utf8'), env.SPECEDIT_API_KEYS_FILE));

  let backends: BackendConfig[] = [];
  if (env.SPECEDIT_BACKENDS_FILE) backends = parseBackends(readFileSync(env.SPECEDIT_BACKENDS_FILE, 'utf8'), env, env.SPECEDIT_BACKENDS_FILE);
  else if (env.SPECEDIT_BACKENDS) backends = parseBackends(env.SPECEDIT_BACKENDS, env);
  const fallback = env.SPECEDIT_AUTO_FALLBACK_MODEL || undefined;
  if (fallback && !backends.some((b) => fallback in b.models)) {
    throw new Error(`SPECEDIT_AUTO_FALLBACK_MODEL "${fallback}" is not a model of any configured backend`);
  }
  const log = (env.SPECEDIT_LOG || 'json').toLowerCase();
  if (log !== 'json' && log !== 'off') throw new Error(`SPECEDIT_LOG must be json or off, got "${env.SPECEDIT_LOG}"`);

  return {
    host: env.SPECEDIT_HOST || DEFAULTS.host,
    port: intFrom(env, 'SPECEDIT_PORT', DEFAULTS.port),
    limits: {
      codeBytes: intFrom(env, 'SPECEDIT_MAX_CODE_BYTES', DEFAULTS.limits.codeBytes),
      updateBytes: intFrom(env, 'SPECEDIT_MAX_UPDATE_BYTES', DEFAULTS.limits.updateBytes),
    },
    auth: { keys, allowUnauthenticated: flag(env, 'SPECEDIT_ALLOW_UNAUTHENTICATED'), metricsPublic: flag(env, 'SPECEDIT_METRICS_PUBLIC') },
    rateLimits: {
      requestsPerMinute: intFrom(env, 'SPECEDIT_RATE_LIMIT_RPM', 0),
      tokensPerMinute: intFrom(env, 'SPECEDIT_RATE_LIMIT_TPM', 0),
    },
    prices: { inputPerM: numberFrom(env, 'SPECEDIT_PRICE_INPUT_PER_M', 0), outputPerM: numberFrom(env, 'SPECEDIT_PRICE_OUTPUT_PER_M', 0) },
    requestTimeoutMs: intFrom(env, 'SPECEDIT_REQUEST_TIMEOUT_MS', DEFAULTS.requestTimeoutMs),
    log,
    backends,
    autoFallbackModel: fallback,
    healthIntervalMs: intFrom(env, 'SPECEDIT_HEALTH_INTERVAL_MS', DEFAULTS.healthIntervalMs),
    merge: {
      threads: intFrom(env, 'SPECEDIT_MERGE_THREADS', availableParallelism()),
      budgetMs: intFrom(env, 'SPECEDIT_MERGE_BUDGET_MS', DEFAULTS.merge.budgetMs),
      maxQueued: intFrom(env, 'SPECEDIT_MERGE_QUEUE', DEFAULTS.merge.maxQueued),
    },
    streamStallMs: intFrom(env, 'SPECEDIT_STREAM_STALL_MS', DEFAULTS.streamStallMs),
  };
}
