import type { Context, Span } from '@opentelemetry/api';
import type { Config } from '../platform/config.js';
import type { Logger, SecretScrubber } from '../platform/logger.js';
import { type SpanAttributes, type Tracer, useTracer } from '../platform/tracing.js';

/** The tracing that `kgd serve` started: flushes what is buffered on stop. */
export interface Tracing {
  stop(): Promise<void>;
}

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Starts OpenTelemetry tracing when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT
 * or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none
 * turn it off): the SDK and its OTLP/HTTP (JSON) exporter are imported here and only then, so a
 * service without tracing loads none of it. No automatic instrumentation is registered (it
 * would record HTTP headers): the spans are the service's own (platform/tracing.ts), and
 * every attribute is scrubbed of the secrets the logger knows as well.
 */
export async function startTracing(
  config: Config,
  deps: { logger: Logger; scrubber: SecretScrubber; serviceVersion: string },
): Promise<Tracing | undefined> {
  const { tracesUrl, serviceName } = config.tracing;
  if (!tracesUrl) return undefined;
  const [api, { NodeSDK, resources }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const sdk = new NodeSDK({
    serviceName,
    // No process detector: a command line is not for a trace backend to keep.
    resourceDetectors: [resources.envDetector, resources.hostDetector],
    resource: resources.resourceFromAttributes({
      'service.name': serviceName,
      'service.version': deps.serviceVersion,
    }),
    traceExporter: new OTLPTraceExporter({ url: tracesUrl }),
    instrumentations: [],
  });
  sdk.start();
  const tracer = api.trace.getTracer('koogallery-deployer', deps.serviceVersion);
  const scrub = (attributes: SpanAttributes) => {
    const out: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(attributes)) {
      if (v === undefined || v === null) continue;
      out[k] = typeof v === 'string' ? deps.scrubber.scrub(v) : v;
    }
    return out;
  };
  const contextOf = (traceparent: string | null | undefined): Context => {
    const m = traceparent ? traceparentPattern.exec(traceparent) : null;
    if (!m) return api.context.active();
    const spanContext = {
      traceId: m[1]!,
      spanId: m[2]!,
      traceFlags: Number.parseInt(m[3]!, 16),
      isRemote: true,
    };
    return api.trace.isSpanContextValid(spanContext)
      ? api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext)
      : api.context.active();
  };
  const failed = (span: Span, err: unknown) => {
    // The kind of failure and its code, never its message (it may quote what a server said).
    const name = err instanceof Error ? err.name : 'Error';
    const code = (err as { code?: unknown } | null)?.code;
    span.setAttributes(
      scrub({ 'error.type': name, 'kgd.error.code': typeof code === 'string' ? code : undefined }),
    );
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: name });
  };
  const impl: Tracer = {
    inSpan(name, attributes, fn, options) {
      const parent = options?.parent ? contextOf(options.parent) : api.context.active();
      return tracer.startActiveSpan(
        name,
        { attributes: scrub(attributes) },
        parent,
        async (span) => {
          try {
            return await fn({ setAttributes: (more) => span.setAttributes(scrub(more)) });
          } catch (err) {
            failed(span, err);
            throw err;
          } finally {
            span.end();
          }
        },
      );
    },
    traceparent() {
      const sc = api.trace.getSpan(api.context.active())?.spanContext();
      if (!sc || !api.trace.isSpanContextValid(sc)) return undefined;
      return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 1) === 1 ? '01' : '00'}`;
    },
  };
  useTracer(impl);
  deps.logger.info(
    { endpoint: new URL(tracesUrl).origin, serviceName },
    'OpenTelemetry tracing on (OTLP/HTTP)',
  );
  return {
    async stop() {
      useTracer(undefined);
      await sdk
        .shutdown()
        .catch((err: Error) =>
          deps.logger.warn({ err: err.message }, 'flushing the last spans failed'),
        );
    },
  };
}
