import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { SetupError } from './errors.js';

/** A certificate this close to its end is reported: a renewal has three weeks to happen. */
export const certificateWarnDays = 21;

/** The PEM files `kgd serve` answers HTTPS with (`KGD_TLS_CERT`, `KGD_TLS_KEY`). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * What an HTTPS server needs from the files: the certificate chain, its key, and TLS 1.2 as the
 * lowest version (KooGallery requires TLS ≥ 1.2 of the production URL; 1.0 and 1.1 are refused in
 * the handshake). Read again on every reload, so a renewed certificate is picked up.
 */
export interface TlsOptions {
  cert: Buffer;
  key: Buffer;
  minVersion: 'TLSv1.2';
}

function readPem(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new SetupError(`${variable}: cannot read ${file} (${(err as Error).message})`, {
      cause: err,
    });
  }
}

/**
 * Reads and checks the pair: both files readable, the certificate parses, the key matches it.
 * Throws a SetupError naming the variable and the file; never includes the key's bytes.
 *
 * @example
 *   const server = https.createServer({ ...readTlsOptions(config.tls) }, handler);
 */
export function readTlsOptions(files: TlsFiles): TlsOptions {
  const options: TlsOptions = {
    cert: readPem(files.certFile, 'KGD_TLS_CERT'),
    key: readPem(files.keyFile, 'KGD_TLS_KEY'),
    minVersion: 'TLSv1.2',
  };
  leafCertificate(options.cert, files.certFile);
  try {
    createSecureContext(options);
  } catch (err) {
    throw new SetupError(
      `KGD_TLS_KEY: ${files.keyFile} is not the private key of the certificate in ${files.certFile} (${(err as Error).message})`,
      { cause: err },
    );
  }
  return options;
}

/** The first certificate of a PEM chain (the server's own); a SetupError when it does not parse. */
export function leafCertificate(pem: Buffer, file: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new SetupError(
      `KGD_TLS_CERT: ${file} does not hold a PEM certificate (${(err as Error).message})`,
      { cause: err },
    );
  }
}
