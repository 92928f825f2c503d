import type { z } from 'zod';

/** How a connection signs requests; the secret stays inside the signer. */
export type AuthKind = 'oauth2_client_credentials' | 'basic' | 'api_key' | 'bearer';

/** A connection's settings split in two: what may be shown, and what is sealed in the vault. */
export interface SplitCredentials {
  config: Record<string, string>;
  secrets: Record<string, string>;
}

/** The token request of an OAuth 2.0 client credentials connection. */
export interface ClientCredentialsRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Extra parameters (e.g. audience) sent in the token request body. */
  extraParams?: Record<string, string>;
}

/** One authentication method of a connector: its input schema and what the hub needs from it. */
export interface ConnectorMethod<Input extends Record<string, unknown> = Record<string, unknown>> {
  kind: AuthKind;
  credentials: z.ZodType<Input>;
  split(input: Input): SplitCredentials;
  /** Base URL that relative request paths resolve against. */
  baseUrl(config: Record<string, string>): string;
  clientCredentials?(config: Record<string, string>, secrets: Record<string, string>): ClientCredentialsRequest;
  /** A cheap authenticated call that proves the connection works. */
  testPath: string;
}

export interface Connector {
  app: string;
  label: string;
  methods: Record<string, ConnectorMethod>;
  /** Turns a provider's error into what the user should fix. */
  explain(error: { error?: string; description?: string; status?: number }): string;
}
