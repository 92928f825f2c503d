import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';

export interface Route { method: string; path: string }

/** Every route a fastify server has, read from its route tree (`printRoutes`), HEAD left out. */
export function routesOf(app: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^(.*?)[├└]── (.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    // `/:id|:a` is two routes with differently named parameters at one position: one is enough.
    const path = (stack[depth - 1] ?? '') + match[2]!.split('|')[0]!;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of match[3]!.split(', ')) if (method !== 'HEAD') routes.push({ method, path });
  }
  return routes;
}

const PARAMS = ['x', '..%2F..%2Fetc%2Fpasswd', '..', '%2e%2e', 'a'.repeat(3000), '001000000000000AAA', '00Q000000000000AAA', '00000000-0000-0000-0000-000000000000', encodeURIComponent('é😀'), '%00', "'%20OR%201=1", '%0d%0aX-Injected:%201', 'v62.0', 'v0.0', '-1', '9'.repeat(40)];
const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);
const BODIES: { type?: string; body: string | Uint8Array }[] = [
  { type: 'application/json', body: nested(5000, '[', ']') },
  { type: 'application/json', body: nested(3000, '{"a":', '}').replace(/}$/, '1}') },
  { type: 'application/json', body: '{"a":' },
  { type: 'application/json', body: '' },
  { type: 'application/json', body: 'null' },
  { type: 'application/json', body: JSON.stringify({ name: 'x'.repeat(300_000) }) },
  { type: 'application/json; charset=latin1', body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
  { type: 'application/json', body: JSON.stringify({ Name: 'nul\u0000byte', name: 'a\r\nb', id: '../x', url: 'http://169.254.169.254/', yaml: '*a' }) },
  { type: 'application/x-www-form-urlencoded', body: 'grant_type=client_credentials&client_id=%ZZ&client_secret=' + 'a'.repeat(5000) },
  { type: 'application/x-www-form-urlencoded', body: 'a=1&a=2&a[b]=3&__proto__=x&constructor[prototype][x]=1' },
  { type: 'application/yaml', body: `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n')}` },
  { type: 'application/yaml', body: nested(2000, '[', ']') },
  { type: 'multipart/form-data', body: '--x\r\nbroken' },
  { type: 'multipart/form-data; boundary=x', body: '--x\r\nContent-Disposition: form-data; name="entity_content"\r\n\r\n{"Title":' },
  { type: 'text/plain', body: '\u0000\u0001\u0002' },
  { type: 'application/octet-stream', body: new Uint8Array(64).fill(0xff) },
  { body: 'no content type' },
];
const HEADERS: Record<string, string>[] = [
  {}, { 'content-encoding': 'gzip' }, { accept: 'application/xml' }, { 'if-modified-since': 'not a date' }, { 'x-forwarded-for': '127.0.0.1, 10.0.0.1' },
  { cookie: 'session=junk; csrf=junk' }, { 'x-padding': 'a'.repeat(20_000) }, { 'sforce-auto-assign': 'maybe', 'sforce-query-options': 'batchSize=-5' }, { 'accept-language': 'zz'.repeat(200) },
];

/**
 * Sends each route `perRoute` requests built from hostile parts (path parameters, query strings,
 * bodies, encodings, headers; some with valid credentials so handlers run, some without) and
 * returns every answer of 500 or more. Deterministic for a seed; bounded by count and deadline.
 */
export async function fuzzRoutes(options: { baseUrl: string; routes: Route[]; authorization: string[]; perRoute: number; seed: number; deadline: number }): Promise<{ sent: number; failures: string[] }> {
  const failures: string[] = [];
  let sent = 0;
  const random = fc.sample(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.jsonValue({ maxDepth: 6 }), fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 40 }), { maxKeys: 4 })), { seed: options.seed, numRuns: options.routes.length * options.perRoute });
  for (const [index, route] of options.routes.entries()) {
    for (let i = 0; i < options.perRoute && Date.now() < options.deadline; i++) {
      const [p, b, h, a, useJson, json, query] = random[index * options.perRoute + i]!;
      const path = route.path.replace(/:[A-Za-z]+/g, () => PARAMS[(p + i) % PARAMS.length]!);
      const search = new URLSearchParams(query as Record<string, string>).toString();
      const bodyPart = useJson % 3 === 0 ? { type: 'application/json', body: JSON.stringify(json) } : BODIES[b % BODIES.length]!;
      const headers: Record<string, string> = { ...HEADERS[h % HEADERS.length], authorization: options.authorization[a % options.authorization.length]! };
      if (bodyPart.type) headers['content-type'] = bodyPart.type;
      const withBody = route.method !== 'GET' && route.method !== 'DELETE';
      const label = `${route.method} ${path.slice(0, 120)}${search ? `?${search.slice(0, 60)}` : ''} [${bodyPart.type ?? 'no type'}, ${Object.keys(headers).join(',')}]`;
      try {
        const res = await fetch(`${options.baseUrl}${path}${search ? `?${search}` : ''}`, { method: route.method, headers, ...(withBody ? { body: bodyPart.body } : {}), redirect: 'manual', signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        sent++;
        if (res.status >= 500) failures.push(`${label} → ${res.status} ${text.slice(0, 200)}`);
      } catch (error) {
        sent++;
        failures.push(`${label} → no answer: ${(error as Error).message}`);
      }
    }
  }
  return { sent, failures };
}
