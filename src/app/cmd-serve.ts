import type { Command } from 'commander';
import type { CliIo } from '../platform/cli-io.js';
import { startService } from './serve.js';

/** `kgd serve`: runs until SIGTERM or SIGINT, then shuts down gracefully. */
export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('start the service: marketplace endpoint, deployment engine, operator API')
    .action(async () => {
      const service = await startService(io.env);
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          service.runtime.logger.info({ signal }, 'signal received');
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          service.stop().then(resolve, resolve);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });
}
