import type { SalesforceTokenResponse } from '../token-response.js';

/** What a grant hands back to the token endpoint: the body, and who it was for (for the event log). */
export interface GrantResult {
  response: SalesforceTokenResponse;
  appId: string;
  userId: string;
}
