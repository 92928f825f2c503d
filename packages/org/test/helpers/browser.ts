/**
 * A minimal user agent for the login and consent pages: a cookie jar, manual redirects and form
 * submission from the page's own HTML, so the test goes through the same pages a person sees.
 */
export class FormBrowser {
  readonly cookies = new Map<string, string>();

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ status: number; location: string | null; html: string }> {
    const res = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return { status: res.status, location: res.headers.get('location'), html: await res.text() };
  }

  /** The hidden fields of the page's form, plus the given visible ones. */
  static formFields(html: string, visible: Record<string, string> = {}): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = unescape(match[2]!);
    return { ...fields, ...visible };
  }

  static formAction(html: string): string {
    const match = /<form method="post" action="([^"]+)"/.exec(html);
    if (!match) throw new Error(`no form on the page: ${html.slice(0, 200)}`);
    return match[1]!;
  }
}

function unescape(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
