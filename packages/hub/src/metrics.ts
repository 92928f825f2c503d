import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MinuteCounts } from './minute-counts.js';

/** The hub's Prometheus metrics; one registry per hub, so tests can run several in one process. */
export class HubMetrics {
  readonly registry = new Registry();
  /** Token requests per minute over the last hour, by connection (the console's dashboard). */
  readonly tokenRequestsPerMinute = new MinuteCounts();
  readonly #policyRejections = new Counter({ name: 'handshake_hub_policy_rejections_total', help: 'Inbound requests refused by a policy, by policy type, endpoint and status.', labelNames: ['policy', 'endpoint', 'status'], registers: [this.registry] });
  readonly #tokenRequests = new Counter({ name: 'handshake_hub_token_requests_total', help: 'Token requests made to identity providers, by connection and outcome.', labelNames: ['connection', 'outcome'], registers: [this.registry] });
  readonly #cacheHits = new Counter({ name: 'handshake_hub_token_cache_hits_total', help: 'Calls served with a cached token, by connection.', labelNames: ['connection'], registers: [this.registry] });
  readonly #refreshFailures = new Counter({ name: 'handshake_hub_token_refresh_failures_total', help: 'Token requests that failed, by connection.', labelNames: ['connection'], registers: [this.registry] });

  readonly #flowRuns = new Counter({ name: 'handshake_hub_flow_runs_total', help: 'Event runs, by flow and outcome (success, skipped, failed = will retry, dead).', labelNames: ['flow', 'outcome'], registers: [this.registry] });
  readonly #flowErrors = new Counter({ name: 'handshake_hub_flow_engine_errors_total', help: 'Errors of the flow engine itself (a poll, a claim, a commit), by flow and stage.', labelNames: ['flow', 'stage'], registers: [this.registry] });
  readonly #flowBacklog = new Gauge({ name: 'handshake_hub_flow_backlog', help: 'Pending events, by flow.', labelNames: ['flow'], registers: [this.registry] });
  readonly #flowLag = new Gauge({ name: 'handshake_hub_flow_lag_seconds', help: 'Age of the oldest pending event, by flow.', labelNames: ['flow'], registers: [this.registry] });
  readonly #flowInFlight = new Gauge({ name: 'handshake_hub_flow_in_flight', help: 'Events being run, by flow.', labelNames: ['flow'], registers: [this.registry] });
  readonly #actionLatency = new Histogram({ name: 'handshake_hub_flow_action_seconds', help: 'Duration of action calls (one event, or one batch), by flow, action and connection.', labelNames: ['flow', 'action', 'connection'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15], registers: [this.registry] });
  readonly #batchSize = new Histogram({ name: 'handshake_hub_flow_batch_size', help: 'Events per action call, by flow, action and connection.', labelNames: ['flow', 'action', 'connection'], buckets: [1, 2, 5, 10, 25, 50, 100, 200], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'handshake_hub_' });
  }

  tokenRequest(connection: string, outcome: 'success' | 'failure'): void {
    this.#tokenRequests.inc({ connection, outcome });
    this.tokenRequestsPerMinute.add(connection, outcome, Date.now());
    if (outcome === 'failure') this.#refreshFailures.inc({ connection });
  }

  tokenCacheHit(connection: string): void {
    this.#cacheHits.inc({ connection });
  }

  flowRun(flow: string, outcome: string): void {
    this.#flowRuns.inc({ flow, outcome });
  }

  flowEngineError(flow: string, stage: string): void {
    this.#flowErrors.inc({ flow, stage });
  }

  flowBacklog(flow: string, pending: number, lagSeconds: number): void {
    this.#flowBacklog.set({ flow }, pending);
    this.#flowLag.set({ flow }, lagSeconds);
  }

  flowInFlight(flow: string, events: number): void {
    this.#flowInFlight.set({ flow }, events);
  }

  /** `target` is `connection:NAME` or `named:NAME`; the label is the name. */
  flowActionCall(flow: string, action: string, target: string, seconds: number, events: number): void {
    const connection = target.replace(/^(connection|named):/, '');
    this.#actionLatency.observe({ flow, action, connection }, seconds);
    this.#batchSize.observe({ flow, action, connection }, events);
  }

  async tokenRequestCount(connection: string): Promise<number> {
    const metric = await this.#tokenRequests.get();
    return metric.values.filter((v) => v.labels.connection === connection).reduce((n, v) => n + v.value, 0);
  }

  policyRejection(policy: string, endpoint: string, status: number): void {
    this.#policyRejections.labels(policy, endpoint, String(status)).inc();
  }
}
