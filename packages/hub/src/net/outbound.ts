import type { Readable } from 'node:stream';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { refusedAddress } from './address-policy.js';

/** A request the hub refuses to make: an address inside this network, or credentials leaving their origin. */
export class UnsafeRequestError extends Error {
  override name = 'UnsafeRequestError';
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Headers that carry a secret: sent to the first origin only, dropped when a redirect leaves it. */
  credentials?: Record<string, string>;
  /** A stream is sent as it is read, once: a redirect is then answered as it is, not followed. */
  body?: string | Readable;
  signal?: AbortSignal;
  /** Redirects followed, each hop checked like the first (default 5; 0 answers the 3xx itself). */
  maxRedirects?: number;
}

export interface OutboundResponse {
  status: number;
  ok: boolean;
  /** Where the answer came from (after redirects). */
  url: URL;
  header(name: string): string | undefined;
  text(): Promise<string>;
  json(): Promise<unknown>;
  /** The body as it arrives (a file), for piping on without holding it. */
  stream(): Readable;
  /** Reads and drops the body, so the connection is reused. */
  discard(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface OutboundPolicy {
  /** Development and tests: http and every address allowed. */
  allowPrivateNetworks: boolean;
  /** Why an address is refused (default: everything but public unicast); tests stand a loopback address in for a public one. */
  refuse?: (address: string) => string | undefined;
  /** Schemes allowed (default: https only, or http and https with private networks allowed). */
  schemes?: string[];
}

/**
 * Every request the hub makes to a URL a user gave goes through here. Addresses are checked when
 * the connection is made, on the address DNS answered (so a name that resolves somewhere public at
 * save time and to 127.0.0.1 later is still refused: DNS rebinding), a failed lookup fails the
 * request, and redirects are followed by hand with each hop checked again and the credentials kept
 * to their first origin. Requests go through undici's own API, which costs a fraction of `fetch`'s
 * CPU per call (web streams, Headers and Response objects); at hundreds of calls a second that is
 * most of the hub's work.
 */
export class Outbound {
  readonly dispatcher: Agent;
  readonly allowPrivateNetworks: boolean;
  readonly #schemes: string[];

  constructor(policy: OutboundPolicy) {
    this.allowPrivateNetworks = policy.allowPrivateNetworks;
    this.#schemes = policy.schemes ?? (policy.allowPrivateNetworks ? ['https:', 'http:'] : ['https:']);
    const refuse = policy.refuse ?? refusedAddress;
    const plain = buildConnector({});
    const checked = buildConnector({ lookup: checkedLookup(refuse) } as buildConnector.BuildOptions);
    this.dispatcher = new Agent({
      keepAliveTimeout: 10_000,
      connect: policy.allowPrivateNetworks ? plain : (options, callback) => {
        // A literal address is never looked up: it is checked here.
        const refused = isIP(options.hostname.replace(/^\[|\]$/g, '')) ? refuse(options.hostname) : undefined;
        if (refused) return callback(new UnsafeRequestError(`refusing to connect to ${refused}; private addresses are refused (use --allow-private-networks for development)`), null);
        return checked(options, callback);
      },
    });
  }

  async request(url: URL, init: OutboundRequest = {}): Promise<OutboundResponse> {
    let current = url;
    let method = init.method ?? 'GET';
    let body = init.body;
    let headers = init.headers ?? {};
    let credentials = init.credentials ?? {};
    const maxRedirects = init.maxRedirects ?? 5;
    for (let hop = 0; ; hop++) {
      this.#checkScheme(current);
      const res = await undiciRequest(current, { method: method as 'GET', headers: { ...headers, ...credentials }, body, signal: init.signal, dispatcher: this.dispatcher });
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode) || typeof location !== 'string' || hop >= maxRedirects || (body !== undefined && typeof body !== 'string')) return answer(res, current);
      await res.body.dump();
      const next = new URL(location, current);
      if (next.origin !== url.origin) credentials = {};
      if (res.statusCode === 303 || (method === 'POST' && res.statusCode !== 307 && res.statusCode !== 308)) {
        method = 'GET';
        body = undefined;
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !/^content-/i.test(name)));
      }
      current = next;
    }
  }

  /** A `fetch` on the same checks, for libraries that take one (oauth4webapi); redirects are theirs to refuse. */
  readonly fetch = ((input: string | URL, init?: RequestInit) => {
    this.#checkScheme(new URL(String(input)));
    return undiciFetch(input, { ...(init as object), dispatcher: this.dispatcher });
  }) as unknown as typeof fetch;

  #checkScheme(url: URL): void {
    if (!this.#schemes.includes(url.protocol)) throw new UnsafeRequestError(`refusing to request ${url.protocol}// URLs (${url.origin}): ${this.allowPrivateNetworks ? 'only http(s)' : 'https only, unless the hub runs with --allow-private-networks'}`);
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}

function answer(res: Awaited<ReturnType<typeof undiciRequest>>, url: URL): OutboundResponse {
  return {
    status: res.statusCode,
    ok: res.statusCode >= 200 && res.statusCode < 300,
    url,
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    text: () => res.body.text(),
    json: () => res.body.json(),
    stream: () => res.body,
    discard: () => res.body.dump(),
  };
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** `dns.lookup` that refuses a name when any address it resolves to is refused. */
const checkedLookup = (refuse: (address: string) => string | undefined) => (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    for (const { address } of addresses) {
      const refused = refuse(address);
      if (refused) return callback(new UnsafeRequestError(`refusing to connect to ${hostname}: ${refused}; private addresses are refused (use --allow-private-networks for development)`), []);
    }
    if (options.all) return callback(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};
