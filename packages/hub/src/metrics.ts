import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** The hub's Prometheus metrics; one registry per hub, so tests can run several in one process. */
export class HubMetrics {
  readonly registry = new Registry();
  readonly #tokenRequests = new Counter({ name: 'handshake_hub_token_requests_total', help: 'Token requests made to identity providers, by connection and outcome.', labelNames: ['connection', 'outcome'], registers: [this.registry] });
  readonly #cacheHits = new Counter({ name: 'handshake_hub_token_cache_hits_total', help: 'Calls served with a cached token, by connection.', labelNames: ['connection'], registers: [this.registry] });
  readonly #refreshFailures = new Counter({ name: 'handshake_hub_token_refresh_failures_total', help: 'Token requests that failed, by connection.', labelNames: ['connection'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'handshake_hub_' });
  }

  tokenRequest(connection: string, outcome: 'success' | 'failure'): void {
    this.#tokenRequests.inc({ connection, outcome });
    if (outcome === 'failure') this.#refreshFailures.inc({ connection });
  }

  tokenCacheHit(connection: string): void {
    this.#cacheHits.inc({ connection });
  }

  async tokenRequestCount(connection: string): Promise<number> {
    const metric = await this.#tokenRequests.get();
    return metric.values.filter((v) => v.labels.connection === connection).reduce((n, v) => n + v.value, 0);
  }
}
