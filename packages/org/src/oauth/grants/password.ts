import { SalesforceOAuthErrors } from '../errors.js';

/** The username-password flow is blocked, as in every org created since Summer '23. */
export async function passwordGrant(): Promise<never> {
  throw SalesforceOAuthErrors.authenticationFailure();
}
