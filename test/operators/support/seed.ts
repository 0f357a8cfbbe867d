import type { Db } from '../../../src/platform/db/database.js';
import type { NewInstance, NewOperation } from '../../../src/platform/db/schema.js';
import type { SecretBox } from '../../../src/platform/secrets.js';

/** Rows as the gateway and the engine write them, for tests of what operators read. */
export async function seedInstance(
  db: Db,
  id: string,
  over: Partial<NewInstance> = {},
): Promise<void> {
  const at = over.created_at ?? new Date('2026-03-01T03:00:00Z');
  await db
    .insertInto('instances')
    .values({
      id,
      protocol: 'v1',
      status: 'ready',
      status_detail: null,
      test: false,
      trial: false,
      frozen: false,
      order_id: `ORD-${id}`,
      order_line_id: null,
      business_id: null,
      product_id: 'OFFI-DEMO-LICENSE-MONTH',
      sku_code: 'basic',
      customer_id: 'cust-1',
      customer_name: 'Acme Buyer',
      charging_mode: '1',
      period_type: 'month',
      period_number: 1,
      expires_at: null,
      order_params: '{}',
      private_sealed: null,
      app_user: null,
      app_password_sealed: null,
      front_end_url: null,
      admin_url: null,
      memo: null,
      created_at: at,
      updated_at: at,
      ready_at: null,
      released_at: null,
      product_name: 'demo-license',
      ...over,
    })
    .execute();
}

export async function seedOperation(
  db: Db,
  id: string,
  instanceId: string,
  over: Partial<NewOperation> & { failed_step?: string | null } = {},
): Promise<void> {
  const { failed_step, ...rest } = over;
  await db
    .insertInto('operations')
    .values({
      id,
      instance_id: instanceId,
      kind: 'deploy',
      status: 'succeeded',
      idempotency_key: `key-${id}`,
      order_id: `ORD-${instanceId}`,
      order_line_id: null,
      params: '{}',
      params_sealed: null,
      inbox_id: null,
      test: false,
      error: null,
      workflow_id: id,
      created_at: new Date('2026-03-01T03:00:00Z'),
      started_at: new Date('2026-03-01T03:00:01Z'),
      finished_at: null,
      ...rest,
    })
    .execute();
  if (failed_step !== undefined)
    await db.updateTable('operations').set({ failed_step }).where('id', '=', id).execute();
}

export async function seedLog(
  db: Db,
  operationId: string,
  instanceId: string,
  message: string,
  over: { step?: string; level?: 'info' | 'warn' | 'error'; stream?: string } = {},
): Promise<void> {
  await db
    .insertInto('operation_logs')
    .values({
      operation_id: operationId,
      instance_id: instanceId,
      at: new Date(),
      level: over.level ?? 'info',
      step: over.step ?? null,
      stream: over.stream ?? null,
      message,
    })
    .execute();
}

export async function seedInbox(
  db: Db,
  box: SecretBox,
  over: {
    protocol?: 'v1' | 'v2';
    activity?: string;
    raw?: string;
    instanceId?: string | null;
    resultCode?: string;
    answer?: string;
  } = {},
): Promise<string> {
  const row = await db
    .insertInto('inbox')
    .values({
      received_at: new Date('2026-03-01T03:00:00Z'),
      protocol: over.protocol ?? 'v1',
      method: over.protocol === 'v2' ? 'POST' : 'GET',
      activity: over.activity ?? 'newInstance',
      raw_sealed: box.seal(over.raw ?? 'activity=newInstance', 'inbox:raw'),
      parsed: JSON.stringify({ activity: over.activity ?? 'newInstance' }),
      idempotency_key: null,
      duplicate: false,
      instance_id: over.instanceId ?? null,
      operation_id: null,
      test: false,
      key_index: 0,
      result_code: over.resultCode ?? '000000',
      answer:
        over.answer ??
        JSON.stringify({
          resultCode: over.resultCode ?? '000000',
          resultMsg: 'success',
          appInfo: { userName: 'x', password: 'AbCdEfGh12345678cipher' },
        }),
      duration_ms: 12.34,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(row.id);
}
