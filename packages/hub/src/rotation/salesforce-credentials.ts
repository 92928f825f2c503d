import type { ConnectionClient } from '../auth/connection-client.js';
import { fetchClientCredentialsToken, TokenRequestError } from '../auth/client-credentials.js';
import type { Outbound } from '../net/outbound.js';

const API = '/services/data/v65.0/apps/oauth';

export interface StagedCredential { id: string; key: string; secret?: string; state: string }

export class CredentialApiError extends Error {
  override name = 'CredentialApiError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Salesforce's External Client App credential API, called through the administrative connection.
 * Lists are read a bounded number of pages, so a misbehaving answer cannot loop forever.
 */
export class SalesforceCredentialApi {
  constructor(private readonly admin: ConnectionClient) {}

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.admin.request(`${API}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { errorCode: string; message: string }[];
        message = `${parsed[0]?.errorCode}: ${parsed[0]?.message}`;
      } catch { /* not Salesforce's error array */ }
      throw new CredentialApiError(res.status, `${method} ${path.split('?')[0]} answered ${res.status} ${message}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The app and consumer that a consumer key belongs to. */
  async findConsumer(consumerKey: string): Promise<{ appId: string; consumerId: string }> {
    for (let page = 1; page <= 10; page++) {
      const usage = await this.#call<{ apps: { identifier: string }[]; nextPageUrl: string | null }>('GET', `/usage?page=${page}&pageSize=100`);
      for (const app of usage.apps) {
        const { consumers } = await this.#call<{ consumers: { id: string; key: string }[] }>('GET', `/credentials/${app.identifier}`);
        const consumer = consumers.find((c) => c.key === consumerKey);
        if (consumer) return { appId: app.identifier, consumerId: consumer.id };
      }
      if (!usage.nextPageUrl) break;
    }
    throw new CredentialApiError(404, 'no External Client App has this connection\'s consumer key (was it rotated outside the hub?)');
  }

  async primaryKey(appId: string, consumerId: string): Promise<string> {
    return (await this.#call<{ key: string }>('GET', `/credentials/${appId}/${consumerId}?part=key`)).key;
  }

  async listStaged(appId: string, consumerId: string): Promise<StagedCredential[]> {
    return (await this.#call<{ stagedCredentials: StagedCredential[] }>('GET', `/credentials/${appId}/${consumerId}/staged`)).stagedCredentials;
  }

  stage(appId: string, consumerId: string): Promise<StagedCredential & { secret: string }> {
    return this.#call('POST', `/credentials/${appId}/${consumerId}/staged`, {});
  }

  async rotate(appId: string, consumerId: string, stagedId: string): Promise<void> {
    await this.#call('PATCH', `/credentials/${appId}/${consumerId}/staged/${stagedId}`, { command: 'rotate' });
  }

  /** Deletes a staged (or rotated-out) pair; one already gone is fine. */
  async deleteStaged(appId: string, consumerId: string, stagedId: string): Promise<void> {
    try {
      await this.#call('DELETE', `/credentials/${appId}/${consumerId}/staged/${stagedId}`);
    } catch (error) {
      if (!(error instanceof CredentialApiError && error.status === 404)) throw error;
    }
  }
}

/** Proves a key and secret obtain a token, without touching any cache. */
export async function provePair(tokenUrl: string, key: string, secret: string, outbound: Outbound): Promise<void> {
  try {
    await fetchClientCredentialsToken({ tokenUrl, clientId: key, clientSecret: secret }, outbound);
  } catch (error) {
    if (error instanceof TokenRequestError) throw new CredentialApiError(400, `the new pair does not obtain a token yet: ${error.message}`);
    throw error;
  }
}
