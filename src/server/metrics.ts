// Prometheus metrics (prom-client), every name prefixed specedit_. One registry per app, so several
// servers in one process (tests, a gateway beside its upstreams) keep separate counts.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** What a backend router reports for its gauges. */
export interface BackendSnapshot {
  name: string;
  healthy: boolean;
  outstanding: number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly duration: Histogram<'route'>;
  readonly ttft: Histogram<'route'>;
  readonly tokens: Counter<'key' | 'direction'>;
  readonly cost: Counter<'key'>;
  readonly keyRequests: Counter<'key'>;
  readonly merges: Counter<'mode'>;
  readonly refusals: Counter<'code'>;
  readonly rateLimited: Counter<'key' | 'limit'>;
  readonly authFailures: Counter;
  readonly draftProposed: Counter;
  readonly draftAccepted: Counter;
  readonly acceptance: Histogram;
  readonly backendRequests: Counter<'backend' | 'outcome'>;
  // The in-process model's scheduler, read at each scrape (observeEngine); 0 without a model.
  readonly queueDepth: Gauge;
  readonly kvBlocks: Gauge<'state'>;
  readonly preemptions: Counter;
  readonly cancelled: Counter;
  private seen = { preemptions: 0, cancelled: 0 };

  constructor(opts: { defaultMetrics?: boolean; backends?: () => BackendSnapshot[] } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'specedit_' });
    this.requests = new Counter({ name: 'specedit_http_requests_total', help: 'HTTP requests by route, method and status.', labelNames: ['route', 'method', 'status'], registers });
    this.duration = new Histogram({ name: 'specedit_http_request_duration_seconds', help: 'Time from request to the last byte of the answer.', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers });
    this.ttft = new Histogram({ name: 'specedit_time_to_first_byte_seconds', help: 'Time from request to the first byte of the answer body (TTFT for streams).', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers });
    this.tokens = new Counter({ name: 'specedit_tokens_total', help: 'Tokens in (prompt) and out (completion) per key (estimated where no tokenizer ran; see README).', labelNames: ['key', 'direction'], registers });
    this.cost = new Counter({ name: 'specedit_cost_usd_total', help: 'Estimated cost in US dollars per key, from the configured $/1M token prices.', labelNames: ['key'], registers });
    this.keyRequests = new Counter({ name: 'specedit_key_requests_total', help: 'Requests per API key id.', labelNames: ['key'], registers });
    this.merges = new Counter({ name: 'specedit_merges_total', help: 'Successful merges by path: structural or model.', labelNames: ['mode'], registers });
    this.refusals = new Counter({ name: 'specedit_refusals_total', help: 'Refused or failed requests by error code.', labelNames: ['code'], registers });
    this.rateLimited = new Counter({ name: 'specedit_rate_limited_total', help: 'Requests answered 429, by key and by the limit hit.', labelNames: ['key', 'limit'], registers });
    this.authFailures = new Counter({ name: 'specedit_auth_failures_total', help: 'Requests answered 401.', registers });
    this.draftProposed = new Counter({ name: 'specedit_draft_tokens_proposed_total', help: 'Draft (prediction) tokens proposed.', registers });
    this.draftAccepted = new Counter({ name: 'specedit_draft_tokens_accepted_total', help: 'Draft (prediction) tokens accepted.', registers });
    this.acceptance = new Histogram({ name: 'specedit_draft_acceptance_ratio', help: 'Per request: accepted / proposed draft tokens.', buckets: [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1], registers });
    this.backendRequests = new Counter({ name: 'specedit_backend_requests_total', help: 'Requests sent to remote backends, by outcome (ok, connect_error, upstream_5xx).', labelNames: ['backend', 'outcome'], registers });
    this.queueDepth = new Gauge({ name: 'specedit_queue_depth', help: 'Requests waiting for the model scheduler.', registers });
    this.kvBlocks = new Gauge({ name: 'specedit_kv_blocks', help: 'Paged KV cache blocks by state (used, free).', labelNames: ['state'], registers });
    this.preemptions = new Counter({ name: 'specedit_preemptions_total', help: 'Sequences preempted by the scheduler.', registers });
    this.cancelled = new Counter({ name: 'specedit_cancelled_total', help: 'Model requests whose client left before they finished (their KV blocks freed at once).', registers });
    this.kvBlocks.set({ state: 'used' }, 0);
    this.kvBlocks.set({ state: 'free' }, 0);

    const backends = opts.backends;
    if (backends) {
      new Gauge({
        name: 'specedit_backend_healthy',
        help: '1 if the backend passed its last health check or request, else 0.',
        labelNames: ['backend'],
        registers,
        collect() {
          for (const b of backends()) this.set({ backend: b.name }, b.healthy ? 1 : 0);
        },
      });
      new Gauge({
        name: 'specedit_backend_outstanding_requests',
        help: 'Requests in flight to each backend (the router picks the least).',
        labelNames: ['backend'],
        registers,
        collect() {
          for (const b of backends()) this.set({ backend: b.name }, b.outstanding);
        },
      });
    }
  }

  /** Account a finished request's tokens and cost against its key. */
  usage(key: string, tokensIn: number, tokensOut: number, costUsd: number): void {
    if (tokensIn > 0) this.tokens.inc({ key, direction: 'in' }, tokensIn);
    if (tokensOut > 0) this.tokens.inc({ key, direction: 'out' }, tokensOut);
    if (costUsd > 0) this.cost.inc({ key }, costUsd);
  }

  draft(proposed: number, accepted: number): void {
    if (proposed <= 0) return;
    this.draftProposed.inc(proposed);
    this.draftAccepted.inc(accepted);
    this.acceptance.observe(accepted / proposed);
  }

  /** Copy the scheduler's state into the gauges and counters (counters advance by what is new). */
  observeEngine(g: { queued: number; kvBlocksUsed: number; kvBlocksFree: number; preemptions: number; cancelled: number }): void {
    this.queueDepth.set(g.queued);
    this.kvBlocks.set({ state: 'used' }, g.kvBlocksUsed);
    this.kvBlocks.set({ state: 'free' }, g.kvBlocksFree);
    if (g.preemptions > this.seen.preemptions) this.preemptions.inc(g.preemptions - this.seen.preemptions);
    if (g.cancelled > this.seen.cancelled) this.cancelled.inc(g.cancelled - this.seen.cancelled);
    this.seen = { preemptions: g.preemptions, cancelled: g.cancelled };
  }
}
