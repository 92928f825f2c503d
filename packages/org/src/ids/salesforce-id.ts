import { randomBytesFromPool } from '../crypto/random-pool.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** Key prefixes of the entities the org hands out ids for, as Salesforce uses them. */
export const KEY_PREFIX = {
  Organization: '00D',
  User: '005',
  PermissionSet: '0PS',
  ExternalClientApp: '0xI',
  OAuthConsumer: '0H4',
  OAuthToken: '0CQ',
} as const;

/**
 * The 3-character suffix that turns a case-sensitive 15-character id into the case-insensitive
 * 18-character form: one character per 5-character chunk, encoding which positions are upper case.
 */
export function idChecksum(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += CHECKSUM_ALPHABET[bits];
  }
  return suffix;
}

/** A new 18-character id: prefix + instance-ish "0" filler + random base62 + checksum. */
export function newSalesforceId(prefix: string): string {
  // From the pool: a bulk job makes a million ids, and one OpenSSL call each cost 7 µs.
  const bytes = randomBytesFromPool(12);
  let body = '';
  for (const b of bytes) body += BASE62[b % 62];
  const id15 = (prefix + '00' + body).slice(0, 15);
  return id15 + idChecksum(id15);
}

export function isValidSalesforceId(id: string): boolean {
  if (!/^[a-zA-Z0-9]{15}([A-Z0-5]{3})?$/.test(id)) return false;
  return id.length === 15 || idChecksum(id.slice(0, 15)) === id.slice(15);
}

let lastTick = 0;

/**
 * An 18-character record id that sorts by creation time (prefix, "0", 9 base62 characters of a
 * millisecond-and-sequence counter, 2 random ones), so new rows append to the primary key index
 * and ordering by Id follows insertion, as users of Salesforce ids expect.
 */
export function newRecordId(prefix: string): string {
  // Plain numbers: the tick (ms × 4096 + sequence) stays below 2^53 until about 2039, and a bulk
  // job makes a million ids (BigInt arithmetic cost a microsecond each). Past that, BigInt.
  let tick = Date.now() * 4096;
  if (tick <= lastTick) tick = lastTick + 1;
  lastTick = tick;
  let body = '';
  if (Number.isSafeInteger(tick)) {
    for (let i = 0; i < 9; i++) {
      body = BASE62[tick % 62] + body;
      tick = Math.floor(tick / 62);
    }
  } else {
    let big = BigInt(tick);
    for (let i = 0; i < 9; i++) {
      body = BASE62[Number(big % 62n)] + body;
      big /= 62n;
    }
  }
  const random = randomBytesFromPool(2);
  const id15 = `${prefix}0${body}${BASE62[random[0]! % 62]}${BASE62[random[1]! % 62]}`;
  return id15 + idChecksum(id15);
}
