import { InputError } from './input-error.js';
import type { InstanceState, SimInstance } from './instances.js';
import type { OperationKind } from './ledger.js';
import type { CallResult } from './marketplace-client.js';
import * as fields from './notification-fields.js';
import type { Protocol } from './request-builder.js';
import type { RetryKind } from './retry-policy.js';
import type { CallOptions, ScenarioCore, Started } from './scenario-core.js';
import type { PeriodType } from './time-format.js';

/**
 * Calls about an existing instance: renewal, expiry, freeze/unfreeze, release, upgrade, query,
 * plus raw calls. An id the marketplace does not know is sent as is (to see the seller answer
 * 000003), except for renewals and upgrades, which need the instance's order terms.
 */

interface Target {
  inst?: SimInstance;
  instanceId: string;
  protocol: Protocol;
}

export function createInstanceOperations(core: ScenarioCore) {
  const { deps, touch } = core;

  function target(ref: string, opts: CallOptions): Target {
    if (deps.instances.find(ref)) {
      const inst = core.known(ref);
      return { inst, instanceId: inst.instanceId, protocol: inst.protocol };
    }
    return { instanceId: ref, protocol: opts.protocol ?? deps.config().defaultProtocol };
  }

  function send(
    kind: OperationKind,
    ref: string,
    opts: CallOptions,
    retry: RetryKind,
    build: (t: Target, testFlag: string) => [activity: string, body: Record<string, unknown>],
    onAccepted: (inst: SimInstance | undefined, r: CallResult) => void,
  ): Started {
    core.settings();
    const t = target(ref, opts);
    const testFlag = opts.testFlag ?? t.inst?.testFlag ?? deps.config().testFlag;
    const [activity, body] = build(t, testFlag);
    const op = deps.operations.start(kind, t.instanceId);
    const spec = core.specOf(t.protocol, activity, () => body, opts);
    core.launch(op, { spec, retry, opts }, (r) => onAccepted(t.inst, r));
    return { operation: op, instance: t.inst };
  }

  const setState = (inst: SimInstance | undefined, state: InstanceState) => {
    if (inst && inst.state !== 'released') touch(inst, { state });
  };

  /** V1 instanceStatus / V2 updateInstanceStatus. */
  const statusCall =
    (kind: OperationKind, v1Status: string, v2Status: string, state: InstanceState) =>
    (ref: string, opts: CallOptions = {}) =>
      send(
        kind,
        ref,
        opts,
        'status',
        (t, testFlag) =>
          t.protocol === 'v1'
            ? kind === 'expire'
              ? ['expireInstance', { instanceId: t.instanceId, testFlag }]
              : ['instanceStatus', { instanceId: t.instanceId, instanceStatus: v1Status, testFlag }]
            : ['updateInstanceStatus', { instanceId: t.instanceId, status: v2Status, testFlag }],
        (inst) => {
          if (state === 'ready' && inst?.state !== 'frozen') return;
          setState(inst, state);
        },
      );

  return {
    /** The period ended without renewal (V1 expireInstance; V2 freezes). */
    expire: statusCall('expire', 'FREEZE', 'FREEZE', 'frozen'),
    freeze: statusCall('freeze', 'FREEZE', 'FREEZE', 'frozen'),
    unfreeze: statusCall('unfreeze', 'NORMAL', 'UNFREEZE', 'ready'),

    release(ref: string, opts: CallOptions & { unsubscribe?: boolean } = {}): Started {
      const inst = deps.instances.find(ref);
      const order =
        opts.unsubscribe && inst
          ? deps.orders.createUnsubscribe(core.known(ref).instanceId, inst.terms)
          : undefined;
      const started = send(
        'release',
        ref,
        opts,
        'release',
        (t, testFlag) => [
          'releaseInstance',
          fields.releaseFields(t.protocol, t.instanceId, testFlag, order),
        ],
        (i) => setState(i, 'released'),
      );
      return { ...started, order };
    },

    renew(
      ref: string,
      change: { periodType?: PeriodType; periodNumber?: number; trialToFormal?: boolean } = {},
      opts: CallOptions & { scene?: fields.RenewalScene } = {},
    ): Started {
      const inst = core.known(ref);
      const order = deps.orders.createRenewal(inst.instanceId, inst.terms, change);
      // The order is paid once it exists: the marketplace's own expiry moves at once.
      touch(inst, { terms: fields.termsAfter(order, inst.terms) });
      const scene = opts.scene ?? (change.trialToFormal ? 'TRIAL_TO_FORMAL' : 'RENEWAL');
      const started = send(
        'renew',
        ref,
        opts,
        'renewal',
        (t, testFlag) => [
          'refreshInstance',
          fields.refreshFields(t.protocol, order, t.instanceId, testFlag, scene),
        ],
        () => {},
      );
      return { ...started, order };
    },

    /**
     * A change of sku (V1 upgrade, V2 upgradeInstance). For V2 the marketplace first asks
     * changeInstanceCheck (spec §6), once, as the buyer waits: a change the seller refuses is
     * never sent, and the operation fails with the seller's reason.
     */
    upgrade(
      ref: string,
      change: { skuCode: string; productId?: string; linearValue?: number },
      opts: CallOptions = {},
    ): Started {
      const inst = core.known(ref);
      if (!change.skuCode) throw new InputError([{ field: 'skuCode', message: 'required' }]);
      const productInfo = {
        skuCode: change.skuCode,
        productId: change.productId ?? inst.terms.productInfo.productId,
        linearValue: change.linearValue ?? inst.terms.productInfo.linearValue,
      };
      const order = deps.orders.createChange(inst.instanceId, inst.terms, { productInfo });
      const apply = () => touch(inst, { terms: fields.termsAfter(order, inst.terms) });
      if (inst.protocol === 'v1') {
        const started = send(
          'upgrade',
          ref,
          opts,
          'purchase',
          (t, testFlag) => ['upgrade', fields.upgradeFields('v1', order, t.instanceId, testFlag)],
          apply,
        );
        return { ...started, order };
      }
      core.settings();
      const testFlag = opts.testFlag ?? inst.testFlag;
      const op = deps.operations.start('upgrade', inst.instanceId);
      const check = core.specOf(
        'v2',
        'changeInstanceCheck',
        () => fields.changeCheckFields(order, inst.instanceId, testFlag),
        opts,
      );
      const upgradeSpec = core.specOf(
        'v2',
        'upgradeInstance',
        () => fields.upgradeFields('v2', order, inst.instanceId, testFlag),
        opts,
      );
      // The check is asked once, as the buyer waits; the change itself is then delivered (and
      // its answer is the operation's) only when the seller allowed it.
      const ask = async () => {
        const asked = await core.deliver({
          operationId: op.view.id,
          kind: 'upgrade',
          spec: check,
          duplicates: 1,
          resends: 0,
          onAttempt: () => op.markSent(),
        });
        if (!asked.accepted) {
          const last = asked.results.at(-1);
          op.view.resultCode = last?.resultCode;
          const why = last?.resultCode ?? last?.error ?? 'no answer';
          op.finish(
            'failed',
            `changeInstanceCheck did not allow the change: ${why}${last?.resultMsg ? ` (${last.resultMsg})` : ''}`,
          );
          return;
        }
        core.launch(op, { spec: upgradeSpec, retry: 'purchase', opts }, apply);
      };
      ask().catch((err: Error) => op.finish('failed', err.message));
      return { operation: op, instance: inst, order };
    },

    /** One V2 queryInstance for up to 100 instances (never resent: the marketplace polls). */
    query(refs: string[], opts: CallOptions = {}): Started {
      core.settings();
      if (refs.length === 0 || refs.length > 100) {
        throw new InputError([{ field: 'instanceIds', message: 'expected 1 to 100 instance ids' }]);
      }
      const targets = refs.map((ref) => ({ ref, inst: deps.instances.find(ref) }));
      const ids = targets.map((t) => t.inst?.instanceId ?? t.ref).join(',');
      const testFlag = opts.testFlag ?? targets[0]?.inst?.testFlag ?? deps.config().testFlag;
      const op = deps.operations.start('query', ids);
      const spec = core.specOf('v2', 'queryInstance', () => ({ instanceId: ids, testFlag }), opts);
      core.launch(op, { spec, retry: undefined, opts: { ...opts, noRetry: true } }, (r) => {
        for (const { inst } of targets) {
          const info = r.info?.find((i) => inst && i.instanceId === inst.instanceId);
          if (!inst || !info?.appInfo) continue;
          touch(inst, {
            appInfo: info.appInfo,
            state: inst.state === 'provisioning' ? 'ready' : inst.state,
          });
        }
      });
      return { operation: op };
    },

    /**
     * getLicenseAsync (V2, 在线开通License, spec §7.1): the buyer's client asks for a license; the
     * seller answers 000000/000004 and uploads the file for `eventId` (recorded by the upload API,
     * which accepts uploads only for events sent here). Resent as a status call.
     */
    requestLicense(
      ref: string,
      license: {
        eventId?: string;
        deviceFingerprint?: string;
        effectiveTime?: string;
        expireTime?: string;
      } = {},
      opts: CallOptions = {},
    ): Started & { eventId: string } {
      const eventId = license.eventId ?? core.newBusinessId();
      core.licenseEvents.add(eventId);
      const started = send(
        'license',
        ref,
        { ...opts, protocol: 'v2' },
        'status',
        (t, testFlag) => [
          'getLicenseAsync',
          {
            instanceId: t.instanceId,
            eventId,
            effectiveTime: license.effectiveTime ?? fields.licenseTime(core.now()),
            ...(license.expireTime ? { expireTime: license.expireTime } : {}),
            ...(license.deviceFingerprint ? { deviceFingerprint: license.deviceFingerprint } : {}),
            testFlag,
          },
        ],
        () => {},
      );
      return { ...started, eventId };
    },

    /** Any activity with any fields, once: the basis of negative and fuzz tests. */
    raw(
      call: { protocol: Protocol; activity: string; fields: Record<string, unknown> },
      opts: CallOptions = {},
    ): Started {
      core.settings();
      const op = deps.operations.start('raw', call.activity);
      const spec = core.specOf(call.protocol, call.activity, () => call.fields, opts);
      core.launch(op, { spec, retry: undefined, opts: { ...opts, noRetry: true } }, () => {});
      return { operation: op };
    },
  };
}
