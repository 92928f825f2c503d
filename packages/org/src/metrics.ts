import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The org's Prometheus metrics; one registry per org, so several orgs can share a process. */
export class OrgMetrics {
  readonly registry = new Registry();
  readonly #tokens = new Counter({ name: 'handshake_org_oauth_tokens_total', help: 'Token endpoint requests by grant type and outcome (success or the OAuth error code).', labelNames: ['grant_type', 'outcome'], registers: [this.registry] });
  readonly #latency = new Histogram({ name: 'handshake_org_oauth_token_duration_seconds', help: 'Token endpoint latency by grant type.', labelNames: ['grant_type'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'handshake_org_' });
  }

  tokenRequest(grantType: string, outcome: string, startedNs: bigint): void {
    // Unknown grant types are caller-controlled text: fold them into one label value.
    const grant = ['client_credentials', 'authorization_code', 'refresh_token', 'password'].includes(grantType) ? grantType : 'other';
    this.#tokens.inc({ grant_type: grant, outcome });
    this.#latency.observe({ grant_type: grant }, Number(process.hrtime.bigint() - startedNs) / 1e9);
  }
}
