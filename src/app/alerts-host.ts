import { Writable } from 'node:stream';
import type { AlertChannel } from '../alerts/channel.js';
import type { AlertsIo } from '../alerts/cli.js';
import type { CliIo } from '../platform/cli-io.js';

/**
 * How `kgd alerts` opens what it needs: the runtime (configuration, database, master key; logs
 * to stderr) and, on first use, the configured channels.
 */
export function alertsHost(io: CliIo): AlertsIo['openAlerts'] {
  return async (env) => {
    const [{ openRuntime }, { loadAlertChannels }, { silenceSdkLogging }, { systemClock }] =
      await Promise.all([
        import('./runtime.js'),
        import('../alerts/channel-config.js'),
        import('../cloud/sdk-quiet.js'),
        import('../platform/clock.js'),
      ]);
    const runtime = await openRuntime(env, {
      applicationName: 'kgd-cli',
      logDestination: new Writable({
        write(chunk, _enc, done) {
          io.stderr.write(chunk.toString());
          done();
        },
      }),
    });
    let channels: AlertChannel[] | undefined;
    return {
      config: runtime.config,
      db: runtime.database.db,
      secretBox: runtime.secretBox,
      channels() {
        channels ??= loadAlertChannels(runtime.config, {
          fetch,
          clock: systemClock,
          secretBox: runtime.secretBox,
          scrubber: runtime.scrubber,
          quietSdk: silenceSdkLogging,
        });
        return channels;
      },
      async close() {
        await Promise.all((channels ?? []).map((c) => c.close?.()));
        await runtime.close();
      },
    };
  };
}
