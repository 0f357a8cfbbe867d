import nodemailer from 'nodemailer';
import { Permanent, Retryable } from '../../platform/errors.js';
import type { AlertChannel } from '../channel.js';
import type { AlertSeverity } from '../kinds.js';
import { noticeLines, noticeSubject } from '../notice.js';

/**
 * E-mail over SMTP through nodemailer. `smtp` is a connection URL
 * (`smtps://user:password@smtp.example.com:465`, or `smtp://…:587`, upgraded with STARTTLS when
 * the server offers it). SMTP's own classes classify failures: a 4xx reply or a lost connection is
 * retried, a 5xx reply (unknown mailbox, refused sender) or failed login is permanent.
 */
export function createEmailChannel(spec: {
  name: string;
  smtp: string;
  from: string;
  to: string[];
  severities: AlertSeverity[];
  /** Tests against a local server with a self-signed certificate. */
  tlsRejectUnauthorized?: boolean | undefined;
}): AlertChannel {
  const url = new URL(spec.smtp);
  const secure = url.protocol === 'smtps:';
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port || (secure ? 465 : 587)),
    secure,
    ...(url.username
      ? {
          auth: {
            user: decodeURIComponent(url.username),
            pass: decodeURIComponent(url.password),
          },
        }
      : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    ...(spec.tlsRejectUnauthorized === false ? { tls: { rejectUnauthorized: false } } : {}),
  });
  return {
    name: spec.name,
    type: 'email',
    severities: spec.severities,
    async send(notice) {
      try {
        await transport.sendMail({
          from: spec.from,
          to: spec.to,
          subject: noticeSubject(notice),
          text: `${noticeLines(notice).join('\n')}\n`,
          headers: {
            'X-Kgd-Delivery': notice.id,
            'X-Kgd-Alert-Key': notice.key,
            'X-Kgd-Event': notice.event,
          },
        });
      } catch (cause) {
        throw classify(spec.name, cause);
      }
    },
    async close() {
      transport.close();
    },
  };
}

function classify(channel: string, cause: unknown): Error {
  const e = cause as { code?: string; responseCode?: number; message?: string };
  const message = `channel ${channel}: ${e.message ?? String(cause)}`;
  const code = e.code ?? String(e.responseCode ?? 'smtp');
  // The reply code decides first: a refused recipient is EENVELOPE with 451 or with 550.
  const reply = e.responseCode ?? 0;
  if (reply >= 400 && reply < 500) return new Retryable(message, { cause, code });
  if (reply >= 500 || e.code === 'EAUTH' || e.code === 'EENVELOPE')
    return new Permanent(message, { cause, code });
  return new Retryable(message, { cause, code });
}
