import type { AlertSeverity } from './kinds.js';

/**
 * What every channel is given, and the JSON body of the generic webhook (schema version 1,
 * docs/alerts.md). `id` is the same on every resend of one notice, so a receiver that sees it
 * twice (a crash after sending, before recording it sent) can drop the copy.
 */
export interface AlertNotice {
  version: 1;
  /** This notice to this channel: stable across resends. */
  id: string;
  /** The incident: the same on its firing and its resolved notice. */
  alertId: string;
  event: 'firing' | 'resolved';
  kind: string;
  severity: AlertSeverity;
  /** `kind:subject`, e.g. `deployment-failed:kgi-…`: one open incident per key. */
  key: string;
  title: string;
  summary: string;
  runbook: string;
  details: Record<string, string | number | boolean | null>;
  startedAt: string;
  resolvedAt: string | null;
  /** The service that raised it (KGD_PUBLIC_URL). */
  source: string;
  /** Sent by `kgd alerts test`: no condition behind it. */
  test: boolean;
}

/** The notice as a few plain-text lines: e-mail, SMN and the robots' text. */
export function noticeLines(n: AlertNotice): string[] {
  const head =
    n.event === 'resolved'
      ? `[RESOLVED] ${n.kind}: ${n.summary}`
      : `[${n.severity.toUpperCase()}] ${n.kind}: ${n.summary}`;
  const lines = [head, n.title];
  if (n.event === 'firing') lines.push(`Runbook: ${n.runbook}`);
  for (const [k, v] of Object.entries(n.details)) if (v !== null) lines.push(`${k}: ${v}`);
  lines.push(`Started: ${n.startedAt}`);
  if (n.resolvedAt) lines.push(`Resolved: ${n.resolvedAt}`);
  lines.push(`Source: ${n.source}${n.test ? ' (test notice from kgd alerts test)' : ''}`);
  return lines;
}

export function noticeSubject(n: AlertNotice): string {
  return noticeLines(n)[0]!;
}

/** Markdown for the robots that render it (WeCom, DingTalk). */
export function noticeMarkdown(n: AlertNotice): string {
  const [head, ...rest] = noticeLines(n);
  return [`**${head}**`, ...rest.map((l) => `> ${l}`)].join('\n');
}
