/**
 * Invariant 1 for text that comes from outside: a token endpoint or an API may echo the request in
 * an error (`error_description`, a 4xx body), and that text is kept (run records, dead letters,
 * audit rows) and shown (problem details). Every such text passes through here before the hub
 * keeps or returns it: each known secret is removed in every form it travels in, and so is
 * anything shaped like a credential.
 */
const SHAPES: [RegExp, string][] = [
  // Authorization header values.
  [/\b(Bearer|Basic|OAuth)\s+[A-Za-z0-9._~+/=!-]{8,}/gi, '$1 [redacted]'],
  // Form fields, JSON members and query parameters that hold credentials.
  [/\b(client_secret|access_token|refresh_token|id_token|password|passwd|api_?key|secret|token|assertion|code_verifier)(\\?["']?\s*[:=]\s*\\?["']?)[^"'&\s,;}\\]+/gi, '$1$2[redacted]'],
  // JWTs, Salesforce session ids, this hub's API keys.
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[redacted jwt]'],
  [/\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,}/g, '[redacted session]'],
  [/\bhsk_[A-Za-z0-9_-]{16,}/g, '[redacted api key]'],
];

/** The forms a secret takes on the wire: as is, URL-encoded, form-encoded, JSON-escaped and base64. */
export function secretForms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+'), JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString('base64')])];
}

export function redactSecrets(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole.
  const known = [...secrets].filter((s) => s.length >= 4).flatMap(secretForms);
  out = redactForms(out, known);
  for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
  return out;
}

/**
 * Only the given forms of known secrets (see secretForms) removed: for a successful answer, which
 * is data the flow goes on with, where a field named `token` may be just that.
 */
export function redactForms(text: string, forms: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) if (out.includes(form)) out = out.split(form).join('[redacted]');
  return out;
}
