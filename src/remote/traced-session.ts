import { inSpan } from '../platform/tracing.js';
import type { RemoteSession } from './remote-host.js';

/** The command's first word when it is a plain program name (`cd`, `mkdir`), for the trace. */
function programOf(command: string): string | undefined {
  const first = command.trimStart().split(/\s/, 1)[0] ?? '';
  return /^[A-Za-z0-9_./-]{1,64}$/.test(first) ? first : undefined;
}

/**
 * A session whose commands and uploads are spans (see platform/tracing.ts): the endpoint, the
 * program, exit status and the remote path and size of uploads. Never the command line (it may
 * carry a value from the environment), what it printed, or what was uploaded.
 */
export function tracedSession(session: RemoteSession, endpoint: string): RemoteSession {
  const base = { 'kgd.ssh.endpoint': endpoint };
  return {
    get hostKey() {
      return session.hostKey;
    },
    exec(command, options) {
      return inSpan(
        'ssh exec',
        {
          ...base,
          'kgd.ssh.program': programOf(command),
          'kgd.ssh.timeout_ms': options?.timeoutMs,
        },
        async (span) => {
          const result = await session.exec(command, options);
          span.setAttributes({
            'kgd.ssh.exit_code': result.exitCode ?? undefined,
            'kgd.ssh.signal': result.signal ?? undefined,
            'kgd.ssh.timed_out': result.timedOut,
          });
          return result;
        },
      );
    },
    upload(localPath, remotePath, options) {
      return inSpan('ssh upload', { ...base, 'kgd.ssh.remote_path': remotePath }, async (span) => {
        const result = await session.upload(localPath, remotePath, options);
        span.setAttributes({ 'kgd.ssh.bytes': result.bytes, 'kgd.ssh.skipped': result.skipped });
        return result;
      });
    },
    uploadContent(content, remotePath, mode) {
      return inSpan('ssh upload', { ...base, 'kgd.ssh.remote_path': remotePath }, async (span) => {
        const result = await session.uploadContent(content, remotePath, mode);
        span.setAttributes({ 'kgd.ssh.bytes': result.bytes, 'kgd.ssh.skipped': result.skipped });
        return result;
      });
    },
    close: () => session.close(),
  };
}
