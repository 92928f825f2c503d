import type { Kysely } from 'kysely';
import type { LookupCache } from '../apps/lookup-cache.js';
import type { BatchWriter } from '../store/batch-writer.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { OrgInfo } from '../org/settings.js';
import type { OrgDatabase } from '../store/schema.js';

export interface OrgUrls {
  /** The org's own host ("My Domain"): API calls and the client credentials flow go here. */
  instanceUrl: string;
  /** The generic login host (login.salesforce.com's role): identity URLs point here. */
  loginUrl: string;
  /** The instance URL's host[:port], lower case, to recognise requests made to My Domain. */
  instanceHost: string;
}

/** Everything the OAuth server's domain code needs; built once per org process. */
export interface OAuthContext {
  db: Kysely<OrgDatabase>;
  box: SecretBox;
  org: OrgInfo;
  urls: OrgUrls;
  now: () => number;
  /** How long a rotated refresh token may be presented again and get the same successor. */
  refreshGraceSeconds: number;
  cache: LookupCache;
  writer: BatchWriter;
  /** Run after a setup apply through the admin API: the data API reloads its schema and access. */
  afterSetupApplied?: () => Promise<void>;
}

/** What the HTTP layer hands a grant: the form parameters, the client's address and host. */
export interface TokenRequest {
  params: Record<string, string>;
  basicAuth?: { clientId: string; clientSecret: string } | undefined;
  address: string;
  /** True when the request came to the instance ("My Domain") host, not the login host. */
  onMyDomain: boolean;
}
