import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The org's Prometheus metrics; one registry per org, so several orgs can share a process. */
export class OrgMetrics {
  readonly registry = new Registry();
  readonly #tokens = new Counter({ name: 'handshake_org_oauth_tokens_total', help: 'Token endpoint requests by grant type and outcome (success or the OAuth error code).', labelNames: ['grant_type', 'outcome'], registers: [this.registry] });
  readonly #latency = new Histogram({ name: 'handshake_org_oauth_token_duration_seconds', help: 'Token endpoint latency by grant type.', labelNames: ['grant_type'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [this.registry] });

  readonly #children = new Map<string, { count: { inc(): void }; latency: { observe(v: number): void } }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'handshake_org_' });
  }

  tokenRequest(grantType: string, outcome: string, startedNs: bigint): void {
    // Unknown grant types are caller-controlled text: fold them into one label value.
    const grant = ['client_credentials', 'authorization_code', 'refresh_token', 'password'].includes(grantType) ? grantType : grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer' ? 'jwt_bearer' : grantType === 'urn:ietf:params:oauth:grant-type:token-exchange' ? 'token_exchange' : 'other';
    // Labelled children are looked up once per label set: label hashing showed up in the token endpoint's profile.
    const key = `${grant} ${outcome}`;
    let children = this.#children.get(key);
    if (!children) {
      children = { count: this.#tokens.labels(grant, outcome), latency: this.#latency.labels(grant) };
      this.#children.set(key, children);
    }
    children.count.inc();
    children.latency.observe(Number(process.hrtime.bigint() - startedNs) / 1e9);
  }
}
