/**
 * Tracing, as the code sees it: `inSpan(name, attributes, fn)` runs `fn` inside a span, and
 * `currentTraceparent()` names the span running now (a W3C `traceparent`), so work that goes on
 * elsewhere — a durable workflow that starts later, resumes after a restart — continues the same
 * trace with `inSpan(..., { parent })`.
 *
 * Off by default: until `useTracer` installs an implementation (src/app/tracing.ts loads the
 * OpenTelemetry SDK only when an OTLP endpoint is configured), `inSpan` just calls `fn`, and no
 * tracing code is loaded at all.
 *
 * Attributes are ids and names only (order id, instance id, activity, step, cloud operation):
 * never a header, a body, a password, a key or a token.
 *
 * @example
 *   await inSpan('cloud ecs.createServers', { 'kgd.cloud.operation': 'ecs.createServers' }, () =>
 *     client.createServers(request),
 *   );
 */
export type SpanAttributes = Record<string, string | number | boolean | null | undefined>;

/** What a running span offers its work: more attributes once they are known. */
export interface ActiveSpan {
  setAttributes(attributes: SpanAttributes): void;
}

export interface SpanOptions {
  /** A stored `traceparent` to continue instead of the span running now. */
  parent?: string | null | undefined;
}

export interface Tracer {
  inSpan<T>(
    name: string,
    attributes: SpanAttributes,
    fn: (span: ActiveSpan) => Promise<T>,
    options?: SpanOptions,
  ): Promise<T>;
  traceparent(): string | undefined;
}

const noSpan: ActiveSpan = { setAttributes() {} };
let tracer: Tracer | undefined;

/** Installs the process's tracer (undefined: tracing off again). */
export function useTracer(t: Tracer | undefined): void {
  tracer = t;
}

export function inSpan<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (span: ActiveSpan) => Promise<T>,
  options?: SpanOptions,
): Promise<T> {
  return tracer ? tracer.inSpan(name, attributes, fn, options) : fn(noSpan);
}

/** The span running now as a W3C `traceparent`; undefined when tracing is off or none runs. */
export function currentTraceparent(): string | undefined {
  return tracer?.traceparent();
}
