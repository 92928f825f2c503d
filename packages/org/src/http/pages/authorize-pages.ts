import { escapeHtml, hiddenFields, page } from './html.js';

const SCOPE_LABELS: Record<string, string> = {
  api: 'Manage user data via APIs (api)',
  refresh_token: 'Perform requests at any time (refresh_token, offline_access)',
  offline_access: 'Perform requests at any time (refresh_token, offline_access)',
  full: 'Full access (full)',
  web: 'Manage user data via Web browsers (web)',
  id: 'Access the identity URL service (id, profile, email, address, phone)',
  openid: 'Access unique user identifiers (openid)',
  profile: 'Access your basic information (profile)',
  email: 'Access your email address (email)',
  address: 'Access your address (address)',
  phone: 'Access your phone number (phone)',
};

export function loginPage(input: { csrf: string; params: Record<string, string | undefined>; error?: string; username?: string }): string {
  return page('Login | Handshake Org', `<h1>Log in to your org</h1>
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<form method="post" action="/services/oauth2/authorize/login">
${hiddenFields({ _csrf: input.csrf, ...input.params })}
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" value="${escapeHtml(input.username ?? '')}" required>
<label for="password">Password</label><input type="password" id="password" name="pw" autocomplete="current-password" required>
<button type="submit" id="Login">Log In</button>
</form>`);
}

export function consentPage(input: { csrf: string; params: Record<string, string | undefined>; appName: string; username: string; scopes: string[] }): string {
  const labels = [...new Set(input.scopes.map((s) => SCOPE_LABELS[s] ?? s))];
  return page('Allow Access? | Handshake Org', `<h1>Allow Access?</h1>
<p><strong>${escapeHtml(input.appName)}</strong> is asking to:</p>
<ul>${labels.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>
<p>You are logged in as ${escapeHtml(input.username)}.</p>
<form method="post" action="/services/oauth2/authorize/decision">
${hiddenFields({ _csrf: input.csrf, ...input.params })}
<button type="submit" class="secondary" name="decision" value="deny" id="oaapprove-deny">Deny</button>
<button type="submit" name="decision" value="allow" id="oaapprove">Allow</button>
</form>`);
}

export function errorPage(error: string, description: string): string {
  return page('Error | Handshake Org', `<h1>OAuth Error</h1><p class="error" role="alert">We can't authorize you because of an OAuth error.</p>
<p><strong>error</strong>=${escapeHtml(error)}<br><strong>error_description</strong>=${escapeHtml(description)}</p>`);
}
