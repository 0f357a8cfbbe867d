import type { Command } from '../protocol/commands.js';
import { handleChangeCheck } from './change-check.js';
import type { HandlerContext, Outcome } from './context.js';
import { handleGetLicense, handleLicenseRenewal } from './license.js';
import { handleGetLicenseAsync } from './license-async.js';
import { handleLicenseCode } from './license-codes.js';
import {
  handleExpire,
  handleRelease,
  handleRenew,
  handleStatus,
  handleUpgrade,
} from './lifecycle.js';
import { handleNewInstance } from './new-instance.js';
import { handleNotify } from './notify.js';
import { handleQuery } from './query.js';

/** One handler per command kind; each runs inside the transaction that records the call. */
export function handleCommand(ctx: HandlerContext, cmd: Command): Promise<Outcome> {
  switch (cmd.kind) {
    case 'new':
      return handleNewInstance(ctx, cmd);
    case 'query':
      return handleQuery(ctx, cmd);
    case 'renew':
      return handleRenew(ctx, cmd);
    case 'expire':
      return handleExpire(ctx, cmd);
    case 'release':
      return handleRelease(ctx, cmd);
    case 'upgrade':
      return handleUpgrade(ctx, cmd);
    case 'status':
      return handleStatus(ctx, cmd);
    case 'license':
      return handleGetLicense(ctx, cmd);
    case 'notify':
      return handleNotify(ctx, cmd);
    case 'changeCheck':
      return handleChangeCheck(ctx, cmd);
    case 'license-async':
      return handleGetLicenseAsync(ctx, cmd);
    case 'license-renew':
      return handleLicenseRenewal(ctx, cmd);
    case 'code-renew':
    case 'code-status':
    case 'code-release':
      return handleLicenseCode(ctx, cmd);
  }
}
