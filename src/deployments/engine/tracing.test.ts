import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { StepRecord } from '../../../test/support/fakes/memory-steps.js';
import { createFlowHarness } from '../../../test/support/flow-harness.js';
import { type SpanAttributes, type Tracer, useTracer } from '../../platform/tracing.js';

/**
 * The workflow continues the trace of the call that recorded its operation: every step that runs
 * is a span under the operation's span, whose parent is the stored traceparent, in the first run
 * and in the run that resumes it after a crash. Steps replayed from their checkpoints are not
 * traced again.
 */
interface Recorded {
  id: string;
  name: string;
  attributes: SpanAttributes;
  /** The enclosing span's id, or the traceparent continued. */
  parent: string | undefined;
}

function recordingTracer() {
  const spans: Recorded[] = [];
  const current = new AsyncLocalStorage<Recorded>();
  let n = 0;
  const tracer: Tracer = {
    inSpan(name, attributes, fn, options) {
      const span: Recorded = {
        id: (++n).toString(16).padStart(16, '0'),
        name,
        attributes: { ...attributes },
        parent: options?.parent ?? current.getStore()?.id,
      };
      spans.push(span);
      return current.run(span, () =>
        fn({ setAttributes: (more) => Object.assign(span.attributes, more) }),
      );
    },
    traceparent() {
      const span = current.getStore();
      return span && `00-${'ab'.repeat(16)}-${span.id}-01`;
    },
  };
  return { tracer, spans };
}

const traceParent = `00-${'12'.repeat(16)}-${'34'.repeat(8)}-01`;

afterEach(() => useTracer(undefined));

describe('a workflow continues the trace of its call', () => {
  it('every step of a run is a span under the operation, continuing the stored traceparent', async () => {
    const { tracer, spans } = recordingTracer();
    useTracer(tracer);
    const h = createFlowHarness();
    const { instanceId, operationId } = h.purchase({});
    expect(await h.run(operationId, { traceParent })).toEqual({ status: 'succeeded' });

    const operation = spans.filter((s) => s.name === 'operation');
    expect(operation).toHaveLength(1);
    expect(operation[0]!.parent).toBe(traceParent);
    expect(operation[0]!.attributes).toMatchObject({
      'kgd.operation_id': operationId,
      'kgd.operation_kind': 'deploy',
      'kgd.instance_id': instanceId,
      'kgd.outcome': 'succeeded',
    });
    const steps = spans.filter((s) => s.name.startsWith('step '));
    expect(steps.map((s) => s.attributes['kgd.step'])).toEqual(
      expect.arrayContaining(['begin', 'plan', 'create-server', 'hook-install', 'finish']),
    );
    for (const s of steps) expect(s.parent).toBe(operation[0]!.id);
  });

  it('after a crash, the resumed run continues the same trace with the steps left', async () => {
    const { tracer, spans } = recordingTracer();
    useTracer(tracer);
    const h = createFlowHarness();
    const { operationId } = h.purchase({});
    const record: StepRecord[] = [];
    expect(await h.run(operationId, { record, stopAfter: 6, traceParent })).toBe('stopped');
    const before = spans.length;
    const done = record.map((r) => r.name);

    // A new process: DBOS hands the workflow its stored input, the same traceparent.
    expect(await h.run(operationId, { record, traceParent })).toEqual({ status: 'succeeded' });
    const resumed = spans.slice(before);
    const operation = resumed.filter((s) => s.name === 'operation');
    expect(operation).toHaveLength(1);
    expect(operation[0]!.parent).toBe(traceParent);
    const stepNames = resumed
      .filter((s) => s.name.startsWith('step '))
      .map((s) => s.attributes['kgd.step'] as string);
    expect(stepNames).toContain('finish');
    // Replayed steps return their checkpoints: not run, not traced.
    for (const name of done) expect(stepNames).not.toContain(name);
    for (const s of resumed.filter((x) => x.name.startsWith('step ')))
      expect(s.parent).toBe(operation[0]!.id);
  });

  it('an operation recorded inside a span keeps its traceparent', async () => {
    const { tracer } = recordingTracer();
    useTracer(tracer);
    const { insertOperation } = await import('../rows.js');
    let written: Record<string, unknown> | undefined;
    const tx = {
      insertInto: () => ({
        values: (row: Record<string, unknown>) => {
          written = row;
          return {
            onConflict: () => ({ returningAll: () => ({ executeTakeFirst: async () => row }) }),
          };
        },
      }),
    };
    let parent: string | undefined;
    await tracer.inSpan('marketplace call', {}, async () => {
      parent = tracer.traceparent();
      await insertOperation(tx as never, { id: 'op-1' } as never);
    });
    expect(written?.trace_parent).toBe(parent);
  });
});
