import { z } from 'zod';

/**
 * A secret or identifier that travels in a header or a form body. A line break or NUL would split
 * the request (and undici refuses it mid-call, with the value in its error), so it is refused when
 * saved, naming the field and never echoing the value.
 */
const noControl = (v: string) => !/[\r\n\0]/.test(v);
const message = 'must not contain line breaks or NUL characters (it is sent in a header or form body)';
export const credentialValue = z.string().min(1, 'is required').max(8192).refine(noControl, message);
/** The same, trimmed first (Salesforce keys pasted from a page). */
export const trimmedCredentialValue = z.string().trim().min(1, 'is required').max(8192).refine(noControl, message);
/** A value that may be empty (a custom token parameter). */
export const optionalCredentialValue = z.string().max(2000).refine(noControl, message);
