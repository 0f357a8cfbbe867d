import type { Kysely, Transaction } from 'kysely';
import type {
  Database,
  Instance,
  InstanceUpdate,
  NewInstance,
  NewOperation,
  Operation,
} from '../platform/db/schema.js';

export type Tx = Transaction<Database> | Kysely<Database>;

/** Instances and their operations: the rows the gateway writes and the engine works through. */
export function getInstance(tx: Tx, id: string): Promise<Instance | undefined> {
  return tx.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Reads and row-locks an instance: every change to one instance is serialised through this. */
export function lockInstance(tx: Transaction<Database>, id: string): Promise<Instance | undefined> {
  return tx.selectFrom('instances').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function getInstances(tx: Tx, ids: string[]): Promise<Instance[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return tx.selectFrom('instances').selectAll().where('id', 'in', ids).execute();
}

export async function insertInstance(tx: Tx, row: NewInstance): Promise<void> {
  await tx.insertInto('instances').values(row).execute();
}

export async function updateInstance(tx: Tx, id: string, patch: InstanceUpdate): Promise<void> {
  await tx.updateTable('instances').set(patch).where('id', '=', id).execute();
}

/**
 * Inserts an operation unless one with the same idempotency key exists. Returns undefined for a
 * duplicate; a concurrent insert of the same key waits for the other transaction and then sees it.
 */
export function insertOperation(tx: Tx, row: NewOperation): Promise<Operation | undefined> {
  return tx
    .insertInto('operations')
    .values(row)
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function findOperationByKey(tx: Tx, key: string): Promise<Operation | undefined> {
  return tx
    .selectFrom('operations')
    .selectAll()
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

export function openOperations(tx: Tx, instanceId: string): Promise<Operation[]> {
  return tx
    .selectFrom('operations')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('status', 'in', ['pending', 'running'])
    .orderBy('seq')
    .execute();
}

export function findInstanceByOrder(tx: Tx, orderId: string): Promise<Instance | undefined> {
  return tx
    .selectFrom('instances')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('created_at')
    .executeTakeFirst();
}

/** The engine's columns of a new instance: nothing provisioned yet. */
export const unprovisioned = {
  product_name: null,
  template_version: null,
  region: null,
  flavor: null,
  az: null,
  server_id: null,
  eip: null,
  private_ip: null,
  vpc_id: null,
  subnet_id: null,
  security_group_id: null,
  host_key: null,
  root_password_sealed: null,
  alerted_at: null,
} as const;
