import type { Command } from 'commander';
import { registerDeploymentActions } from './deployments-actions.js';
import { registerDeploymentsList } from './deployments-list.js';
import { registerDeploymentsLogs } from './deployments-logs.js';
import { registerDeploymentsShow } from './deployments-show.js';
import type { OperatorIo } from './operator-context.js';

/**
 * `kgd deployments list | show | logs | rerun | cancel | retry-cleanup | release`: every buyer
 * deployment, what happened to it, and the actions that fix it. `<id>` is an instance id
 * (kgi-...) or an operation id (op_...).
 */
export function registerDeploymentsCommand(program: Command, io: OperatorIo): void {
  const group = program
    .command('deployments')
    .alias('d')
    .description('buyer deployments: list, inspect, follow logs, rerun, cancel, clean up, release');
  registerDeploymentsList(group, io);
  registerDeploymentsShow(group, io);
  registerDeploymentsLogs(group, io);
  registerDeploymentActions(group, io);
}
