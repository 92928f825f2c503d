/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f3f3f3;margin:0;display:flex;justify-content:center}
main{background:#fff;margin-top:8vh;padding:2rem 2.5rem;border-radius:6px;box-shadow:0 1px 4px #0002;width:22rem}
h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .2rem;font-size:.9rem}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #bbb;border-radius:4px}
button{margin-top:1.2rem;padding:.55rem 1rem;border:0;border-radius:4px;background:#0176d3;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#fff;color:#0176d3;border:1px solid #0176d3;margin-right:.5rem}
.error{background:#fde8e8;color:#8a1c1c;padding:.6rem;border-radius:4px;font-size:.9rem}ul{padding-left:1.2rem}
</style></head><body><main>${body}</main></body></html>`;
}

export function hiddenFields(fields: Record<string, string | undefined>): string {
  return Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v!)}">`).join('');
}
