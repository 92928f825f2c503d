import type { AccessTokenTable } from '../../store/schema.js';
import type { SalesforceTokenResponse } from '../token-response.js';

/** What a grant hands back to the token endpoint: the body, and who it was for (for the event log). */
export interface GrantResult {
  response: SalesforceTokenResponse;
  appId: string;
  userId: string;
  /** An access token the grant has not written yet: the token endpoint writes it with the event, in one group commit. */
  unsavedAccessToken?: AccessTokenTable;
}
