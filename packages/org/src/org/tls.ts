import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface TlsFiles { cert: string; key: string; certFile: string }

/**
 * The certificate `org serve --tls` serves: the one given, or one made once for 127.0.0.1 and
 * localhost (the org's two host names) and kept in the data folder, so clients told to trust it
 * (NODE_EXTRA_CA_CERTS) keep trusting it across restarts.
 */
export async function orgCertificate(dataDir: string, given?: { certFile: string; keyFile: string }): Promise<TlsFiles> {
  if (given) return { cert: readFileSync(given.certFile, 'utf8'), key: readFileSync(given.keyFile, 'utf8'), certFile: given.certFile };
  const dir = join(dataDir, 'tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    const notAfter = new Date();
    notAfter.setDate(notAfter.getDate() + 825);
    const pems = await generate([{ name: 'commonName', value: 'Handshake org (localhost)' }], {
      keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
      ],
    });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    writeFileSync(certFile, pems.cert);
  }
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile };
}
