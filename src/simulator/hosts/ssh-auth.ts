import { createHash, timingSafeEqual } from 'node:crypto';
import ssh2, { type AuthContext, type ParsedKey } from 'ssh2';

/** What a machine accepts for root at this moment (the password can be reset while it runs). */
export interface RootCredentials {
  password?: string;
  authorizedKeys: ParsedKey[];
}

/** Parses OpenSSH public key lines; a bad line is an error naming its position. */
export function parseAuthorizedKeys(lines: string[] | undefined): ParsedKey[] {
  return (lines ?? []).map((line, index) => {
    const parsed = utils.parseKey(line);
    if (parsed instanceof Error) {
      throw new Error(`authorizedKeys[${index}] is not an OpenSSH public key: ${parsed.message}`);
    }
    return Array.isArray(parsed) ? parsed[0]! : parsed;
  });
}

const { utils } = ssh2;

const digest = (value: string) => createHash('sha256').update(value).digest();

function allowed(ctx: AuthContext, credentials: RootCredentials): boolean {
  if (ctx.username !== 'root') return false;
  if (ctx.method === 'password') {
    if (credentials.password === undefined) return false;
    // Compare digests so the comparison takes the same time whatever the lengths.
    return timingSafeEqual(digest(ctx.password), digest(credentials.password));
  }
  if (ctx.method === 'publickey') {
    const key = credentials.authorizedKeys.find(
      (k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data),
    );
    if (!key) return false;
    // Without a signature the client only asks whether this key would be accepted.
    if (!ctx.signature || !ctx.blob) return true;
    return key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
  }
  return false;
}

/** Answers one authentication request the way sshd with PermitRootLogin yes would. */
export function authenticate(ctx: AuthContext, credentials: RootCredentials): boolean {
  const methods: AuthContext['method'][] = [];
  if (credentials.password !== undefined) methods.push('password');
  if (credentials.authorizedKeys.length > 0) methods.push('publickey');
  const ok = allowed(ctx, credentials);
  if (ok) ctx.accept();
  else ctx.reject(methods);
  return ok;
}
