import type { RemoteHost, RemoteSession } from '../../remote/remote-host.js';
import type { Metrics } from './metrics.js';

type Ssh = Pick<Metrics, 'ssh'>;

async function timed<T>(
  metrics: Ssh,
  action: string,
  fn: () => Promise<T>,
  ok?: (v: T) => boolean,
) {
  const started = performance.now();
  try {
    const out = await fn();
    metrics.ssh(action, ok ? ok(out) : true, performance.now() - started);
    return out;
  } catch (err) {
    metrics.ssh(action, false, performance.now() - started);
    throw err;
  }
}

function meterSession(session: RemoteSession, metrics: Ssh): RemoteSession {
  return {
    get hostKey() {
      return session.hostKey;
    },
    exec: (command, options) =>
      timed(
        metrics,
        'exec',
        () => session.exec(command, options),
        (r) => r.exitCode === 0,
      ),
    upload: (local, remote, options) =>
      timed(metrics, 'upload', () => session.upload(local, remote, options)),
    uploadContent: (content, remote, mode) =>
      timed(metrics, 'upload', () => session.uploadContent(content, remote, mode)),
    close: () => session.close(),
  };
}

/**
 * A `RemoteHost` that times SSH work: each connection attempt (so `waitForSsh` over it shows its
 * attempts), each command (an exit status other than 0 counts as an error), uploads. Behaviour
 * unchanged.
 */
export function meterRemote(remote: RemoteHost, metrics: Ssh): RemoteHost {
  return {
    connect: async (target, options) =>
      meterSession(await timed(metrics, 'connect', () => remote.connect(target, options)), metrics),
  };
}
