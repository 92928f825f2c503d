import type { ConnectionConfig, Connector, ConnectorMethod } from '../connectors/connector.js';
import type { Secret } from '../vault/secret.js';
import type { Outbound, OutboundRequest, OutboundResponse } from '../net/outbound.js';
import { UnsafeRequestError } from '../net/outbound.js';
import { redactForms, redactSecrets, secretForms } from '../vault/redact.js';
import { fetchClientCredentialsToken } from './client-credentials.js';
import { fetchJwtBearerToken } from './jwt-bearer.js';
import { exchangeToken } from './token-exchange.js';
import type { FetchedToken, TokenManager } from './token-manager.js';

/** A connection ready to sign requests: its settings, and a way to open its secrets when needed. */
export interface ResolvedConnection {
  id: string;
  /** What metrics call it: the connection's name (or the identity provider's, for a shared token). */
  label: string;
  connector: Connector;
  method: ConnectorMethod;
  config: ConnectionConfig;
  /** Opens the sealed secrets; called only to obtain a token or sign a request. */
  openSecrets(): Record<string, Secret>;
  /**
   * The settings and secrets as stored now, for a token request: a rotation replaces the key and
   * secret while clients made earlier are still in use, and their next token must come from the new pair.
   */
  current?: () => Promise<{ config: ConnectionConfig; secrets: Record<string, Secret> }>;
  /** For token exchange connections: the token to exchange (from the connection's identity provider). */
  subjectToken?: () => Promise<Secret>;
  /** For authorization code connections: a new access token from the stored refresh token. */
  refresh?: () => Promise<FetchedToken>;
  /** The token cache entry; connections that share an identity provider share its token. */
  tokenKey?: string;
}

/**
 * Makes authenticated calls for a connection. Credentials go in headers only; the request must
 * stay on the connection's own origin; a 401 on an OAuth connection refreshes the token once and
 * retries once, so an expired or revoked token never surfaces to the caller.
 */
export class ConnectionClient {
  constructor(private readonly conn: ResolvedConnection, private readonly tokens: TokenManager, private readonly outbound: Outbound) {}

  async request(path: string, init: OutboundRequest = {}): Promise<OutboundResponse> {
    const base = new URL(this.conn.method.baseUrl(this.conn.config) + '/');
    const url = new URL(path.replace(/^\//, ''), base);
    if (url.origin !== base.origin) throw new UnsafeRequestError(`refusing to send credentials to ${url.origin}: requests must stay on ${base.origin}`);
    const first = await this.#authorization();
    if (first.token && url.href.includes(first.token.reveal())) throw new UnsafeRequestError('refusing to send a token in a URL; it goes in the Authorization header');
    const response = await this.outbound.request(url, { ...init, credentials: first.headers });
    if (response.status !== 401 || !first.token) return response;
    // A streamed body is gone once sent: the 401 is the answer, and the next attempt has a new token.
    if (init.body !== undefined && typeof init.body !== 'string') {
      await this.tokens.invalidate(this.conn.tokenKey ?? this.conn.id, first.token);
      return response;
    }
    await response.discard();
    await this.tokens.invalidate(this.conn.tokenKey ?? this.conn.id, first.token);
    const second = await this.#authorization();
    return this.outbound.request(url, { ...init, credentials: second.headers });
  }

  #forms: string[] | undefined;
  /** The current token's forms, worked out once per token rather than once per answer. */
  #tokenForms: { token: string; forms: string[] } | undefined;

  /**
   * A successful answer with this connection's secrets and current token removed, in every form
   * they travel in: an endpoint that echoes its request would otherwise put them in run records.
   * Plain substring checks, cheap enough for every answer.
   */
  redactAnswer(text: string): string {
    this.#forms ??= Object.values(this.conn.openSecrets()).map((s) => s.reveal()).filter((s) => s.length >= 4).flatMap(secretForms);
    const token = this.tokens.peek(this.conn.tokenKey ?? this.conn.id)?.reveal();
    if (token && this.#tokenForms?.token !== token) this.#tokenForms = { token, forms: [...this.#forms, ...secretForms(token)] };
    const forms = token ? this.#tokenForms!.forms : this.#forms;
    return forms.some((form) => text.includes(form)) ? redactForms(text, forms) : text;
  }

  /** Text from this connection's endpoints, with its secrets and current token removed (see redactSecrets). */
  redact(text: string): string {
    const secrets = Object.values(this.conn.openSecrets()).map((s) => s.reveal());
    const token = this.tokens.peek(this.conn.tokenKey ?? this.conn.id);
    return redactSecrets(text, token ? [...secrets, token.reveal()] : secrets);
  }

  async #authorization(): Promise<{ headers: Record<string, string>; token?: Secret }> {
    const { method, config } = this.conn;
    switch (method.kind) {
      case 'oauth2_client_credentials': {
        const token = await this.tokens.token(this.conn.tokenKey ?? this.conn.id, async () => {
          const current = this.conn.current ? await this.conn.current() : { config, secrets: this.conn.openSecrets() };
          const secrets = Object.fromEntries(Object.entries(current.secrets).map(([k, v]) => [k, v.reveal()]));
          return fetchClientCredentialsToken(method.clientCredentials!(current.config, secrets), this.outbound);
        }, this.conn.label);
        return { headers: { authorization: `Bearer ${token.reveal()}` }, token };
      }
      case 'oauth2_jwt_bearer': {
        const token = await this.tokens.token(this.conn.tokenKey ?? this.conn.id, async () => {
          const current = this.conn.current ? await this.conn.current() : { config, secrets: this.conn.openSecrets() };
          return fetchJwtBearerToken(method.jwtBearer!(current.config), current.secrets.privateKey!, this.outbound);
        }, this.conn.label);
        return { headers: { authorization: `Bearer ${token.reveal()}` }, token };
      }
      case 'oauth2_token_exchange': {
        const token = await this.tokens.token(this.conn.tokenKey ?? this.conn.id, async () => {
          const current = this.conn.current ? await this.conn.current() : { config, secrets: this.conn.openSecrets() };
          const secrets = Object.fromEntries(Object.entries(current.secrets).map(([k, v]) => [k, v.reveal()]));
          return exchangeToken(method.tokenExchange!(current.config, secrets), await this.conn.subjectToken!(), this.outbound);
        }, this.conn.label);
        return { headers: { authorization: `Bearer ${token.reveal()}` }, token };
      }
      case 'oauth2_authorization_code': {
        const token = await this.tokens.token(this.conn.id, () => this.conn.refresh!(), this.conn.label);
        return { headers: { authorization: `Bearer ${token.reveal()}` }, token };
      }
      case 'bearer':
        return { headers: { authorization: `Bearer ${this.conn.openSecrets().token!.reveal()}` } };
      case 'basic':
        return { headers: { authorization: `Basic ${Buffer.from(`${String(config.username)}:${this.conn.openSecrets().password!.reveal()}`).toString('base64')}` } };
      case 'custom_headers':
        return { headers: Object.fromEntries(Object.entries(this.conn.openSecrets()).map(([name, value]) => [name.toLowerCase(), value.reveal()])) };
      case 'api_key':
        return { headers: { [String(config.headerName).toLowerCase()]: this.conn.openSecrets().apiKey!.reveal() } };
    }
  }
}
