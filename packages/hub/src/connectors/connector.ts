import type { z } from 'zod';

/** How a connection signs requests; the secret stays inside the signer. */
export type AuthKind = 'oauth2_client_credentials' | 'oauth2_authorization_code' | 'basic' | 'api_key' | 'bearer' | 'custom_headers';

/** A connection's non-secret settings, shown by the API as they are. */
export type ConnectionConfig = Record<string, unknown>;

/** A custom token request parameter, as a Salesforce External Auth Identity Provider allows (e.g. audience). */
export interface TokenParam { name: string; value: string; in: 'body' | 'header' }

/** A connection's settings split in two: what may be shown, and what is sealed in the vault. */
export interface SplitCredentials {
  config: ConnectionConfig;
  secrets: Record<string, string>;
}

/** The token request of an OAuth 2.0 client credentials connection. */
export interface ClientCredentialsRequest {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Extra parameters (audience, resource, scope…), each in the body or as a header. */
  extraParams?: TokenParam[];
}

/** Where an authorization code connection sends the user, and where it redeems codes and refresh tokens. */
export interface AuthorizationServerEndpoints {
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  scope: string;
}

/** One authentication method of a connector: its input schema and what the hub needs from it. */
export interface ConnectorMethod<Input extends Record<string, unknown> = Record<string, unknown>> {
  kind: AuthKind;
  credentials: z.ZodType<Input>;
  split(input: Input): SplitCredentials;
  /** Base URL that relative request paths resolve against. */
  baseUrl(config: ConnectionConfig): string;
  clientCredentials?(config: ConnectionConfig, secrets: Record<string, string>): ClientCredentialsRequest;
  authorizationCode?(config: ConnectionConfig): AuthorizationServerEndpoints;
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
