import type { Hono } from 'hono';
import { z } from 'zod';
import type { SimContext, SimEnv } from './context.js';
import { guard } from './guard.js';
import { readBody } from './http-body.js';
import { SimHttpError } from './sim-errors.js';

/** A message published to an SMN topic, as the simulator received it. */
interface SmnMessage {
  messageId: string;
  topicUrn: string;
  subject: string | undefined;
  message: string;
  at: string;
}

const publishSchema = z.object({
  subject: z.string().max(512).optional(),
  message: z
    .string()
    .min(1)
    .max(256 * 1024),
});

/**
 * SMN's PublishMessage (POST /v2/{project_id}/notifications/topics/{topic_urn}/publish), enough
 * for the alert channel: signature-checked like every cloud call, body {subject, message},
 * answered {request_id, message_id}. Topic management is not modelled: every topic URN of the
 * simulated account's project exists (a real account creates the topic in the console first);
 * another project's URN is answered 404 with SMN.00010008 (the code is assumed: the public
 * error table was not at hand). Published messages are listed at GET /sim/smn/messages.
 */
export function registerSmnRoutes(app: Hono<SimEnv>, ctx: SimContext): void {
  const messages: SmnMessage[] = [];
  app.post('/v2/:pid/notifications/topics/:urn/publish', guard(ctx, 'smn.publishMessage'), (c) => {
    const urn = decodeURIComponent(c.req.param('urn'));
    const [prefix, service, , project, name] = urn.split(':');
    if (prefix !== 'urn' || service !== 'smn' || project !== ctx.credentials.projectId || !name)
      throw new SimHttpError(404, 'SMN.00010008', `The topic ${urn} does not exist`);
    const body = readBody(c, publishSchema);
    const messageId = ctx.uuid().replace(/-/g, '');
    messages.push({
      messageId,
      topicUrn: urn,
      subject: body.subject,
      message: body.message,
      at: ctx.clock.now().toISOString(),
    });
    return c.json({ request_id: c.get('requestId'), message_id: messageId });
  });
  app.get('/sim/smn/messages', (c) => c.json({ messages }));
}
