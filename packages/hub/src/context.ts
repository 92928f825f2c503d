import type { Kysely } from 'kysely';
import type { TokenManager } from './auth/token-manager.js';
import type { UrlPolicy } from './connections/url-policy.js';
import type { HubMetrics } from './metrics.js';
import type { QueuedSignal } from './flows/engine/queued-signal.js';
import type { WorkQueue } from './flows/engine/work-queue.js';
import type { HubPolicies } from './policies/hub-policies.js';
import type { SignInProvider } from './people/sign-in-provider.js';
import type { Outbound } from './net/outbound.js';
import type { RateLimitStore } from './policies/rate-limit-store.js';
import type { HubDatabase } from './store/schema.js';
import type { Vault } from './vault/vault.js';

/** Who acts: the name the audit log shows, and the API key name that principals are granted to. */
export interface Actor { name: string; apiKeyName?: string }

/** What the hub's domain modules share; built once per hub process. */
export interface HubContext {
  db: Kysely<HubDatabase>;
  vault: Vault;
  tokens: TokenManager;
  metrics: HubMetrics;
  urlPolicy: UrlPolicy;
  /** Every request to a URL a user gave goes through it (the address check at connect time). */
  outbound: Outbound;
  now: () => number;
  /** Events queued by the API (webhooks, run now, replays): wakes the flow's worker. */
  queued: QueuedSignal;
  /** Who runs which queued event: this process, or any process of the cluster. */
  work: WorkQueue;
  /** Hub-wide inbound policies (webhooks, the API). */
  policies: HubPolicies;
  /** Where rate-limit policies count (shared by the processes of a cluster). */
  rateLimits: RateLimitStore;
  /** The OAuth 2.0 provider people may sign in to the console with ("Log in with Salesforce"), if configured. */
  signInProvider?: SignInProvider | undefined;
  /** The hub's public base URL (for OAuth redirect URIs), known once it listens. */
  publicUrl: () => string;
}
