import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isUnstorableText } from '../../platform/db/database.js';
import { ActionError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';

/** One error body everywhere: `{ error: { code, message } }`; unexpected errors say nothing more. */
export function adminErrorHandler(logger: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ActionError)
      return c.json({ error: { code: err.code, message: err.message } }, err.httpStatus);
    if (err instanceof HTTPException)
      return c.json(
        { error: { code: 'INVALID_REQUEST', message: err.message } },
        err.status as ContentfulStatusCode,
      );
    if (isUnstorableText(err))
      return c.json(
        {
          error: {
            code: 'INVALID_REQUEST',
            message: 'the request holds a NUL byte or invalid text',
          },
        },
        400,
      );
    logger.error({ err: err.message, path: c.req.path }, 'admin request failed');
    return c.json(
      { error: { code: 'INTERNAL', message: 'internal error (see the service log)' } },
      500,
    );
  };
}

/** zod validation failures as a 400 naming each field. */
export function validationHook(
  result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } },
  c: Context,
) {
  if (result.success) return;
  const message = (result.error?.issues ?? [])
    .map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`)
    .join('; ');
  return c.json({ error: { code: 'INVALID_REQUEST', message } }, 400);
}
