import type { OAuthContext } from '../oauth/context.js';

/** True when a request's Host header names the org's instance host (its "My Domain"). */
export function isMyDomain(ctx: OAuthContext, host: string | undefined): boolean {
  return host?.toLowerCase() === ctx.urls.instanceHost;
}
