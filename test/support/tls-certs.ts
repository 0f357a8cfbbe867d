import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A test certificate authority: clients trust it through `ca`, never the system store. */
export interface TestCa {
  certFile: string;
  keyFile: string;
  pem: Buffer;
}

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/** Creates a CA in dir with openssl (EC P-256, 2 days). */
export function createTestCa(dir: string): TestCa {
  const keyFile = path.join(dir, 'ca.key');
  const certFile = path.join(dir, 'ca.pem');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile,
      '-subj',
      '/CN=kgd test CA',
      '-days',
      '2',
      '-out',
      certFile,
    ],
    dir,
  );
  return { certFile, keyFile, pem: readFileSync(certFile) };
}

/**
 * Issues a server certificate for `localhost` and 127.0.0.1 signed by the CA, valid `days` days;
 * writes `<name>.pem` (leaf then CA: a chain as servers send it) and `<name>.key`.
 * Returns the files and the leaf's serial number, to tell which certificate a server presented.
 */
export function issueServerCert(
  dir: string,
  ca: TestCa,
  name: string,
  days = 30,
): { certFile: string; keyFile: string; serial: string } {
  const keyFile = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const leaf = path.join(dir, `${name}.leaf.pem`);
  const ext = path.join(dir, `${name}.ext`);
  writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], dir);
  openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=localhost`, '-out', csr], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-CAcreateserial',
      '-days',
      String(days),
      '-extfile',
      ext,
      '-out',
      leaf,
    ],
    dir,
  );
  const certFile = path.join(dir, `${name}.pem`);
  writeFileSync(certFile, Buffer.concat([readFileSync(leaf), ca.pem]));
  const serial = execFileSync('openssl', ['x509', '-in', leaf, '-noout', '-serial'], {
    encoding: 'utf8',
  })
    .trim()
    .replace(/^serial=/, '');
  return { certFile, keyFile, serial };
}
