import type { Kysely, Transaction } from 'kysely';
import type { Database, Instance, NewOperation, Operation } from '../platform/db/schema.js';
import { currentTraceparent } from '../platform/tracing.js';

/** Kysely helpers over instances and operations, shared by the store and the commands. */
export type Tx = Transaction<Database> | Kysely<Database>;

/** Reads and row-locks an instance: every change to one instance is serialised through this. */
export function lockInstance(tx: Transaction<Database>, id: string): Promise<Instance | undefined> {
  return tx.selectFrom('instances').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * Inserts an operation unless one with the same idempotency key exists. Returns undefined for a
 * duplicate; a concurrent insert of the same key waits for the other transaction and then sees it.
 */
export function insertOperation(tx: Tx, row: NewOperation): Promise<Operation | undefined> {
  return (
    tx
      .insertInto('operations')
      // The span recording it (a marketplace call, an operator action): its workflow continues it.
      .values({ trace_parent: currentTraceparent() ?? null, ...row })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returningAll()
      .executeTakeFirst()
  );
}

export function findOperationByKey(tx: Tx, key: string): Promise<Operation | undefined> {
  return tx
    .selectFrom('operations')
    .selectAll()
    .where('idempotency_key', '=', key)
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
