import { createPrivateKey } from 'node:crypto';
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

/** An RSA private key in PEM (PKCS#8 or PKCS#1), as `openssl genrsa` or `genpkey` writes it: it signs RS256 assertions. */
export const privateKeyPem = z.string().trim().max(16_384).superRefine((pem, ctx) => {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') ctx.addIssue({ code: 'custom', message: `is a ${key.asymmetricKeyType} key; Salesforce's JWT bearer flow signs with RS256, which needs an RSA key` });
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an RSA private key in PEM form (-----BEGIN PRIVATE KEY----- …), unencrypted' });
  }
});
