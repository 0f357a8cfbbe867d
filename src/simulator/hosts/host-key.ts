import ssh2 from 'ssh2';

// ssh2 is CommonJS without static named exports.
const { utils } = ssh2;

import { hostKeyFingerprint } from '../../platform/ssh-fingerprint.js';

export interface HostKey {
  /** OpenSSH private key; kept in memory only, like the rest of a machine's identity. */
  privateKey: string;
  fingerprint: string;
}

/**
 * A fresh ed25519 host key, as a machine gets at install (first boot or rebuild). About 3 in
 * 1,000 keys ssh2 generates are refused by its own parser ("Malformed OpenSSH private key"): such
 * a key is drawn again.
 */
export function generateHostKey(): HostKey {
  for (let attempt = 1; ; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519');
    const parsed = utils.parseKey(pair.private);
    if (parsed instanceof Error) {
      if (attempt < 10) continue;
      throw parsed;
    }
    const key = Array.isArray(parsed) ? parsed[0]! : parsed;
    return { privateKey: pair.private, fingerprint: hostKeyFingerprint(key.getPublicSSH()) };
  }
}
