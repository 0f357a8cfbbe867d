import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

/**
 * `chaos --alerts`: a local webhook receiver the replicas send their alert notices to, printing
 * each as it arrives (the faults of the run raise them: failed deployments, lost replicas...),
 * and the tally of the alerts table at the end. With KGD_ALERT_WEBHOOK_URL set, the replicas
 * send there instead (a real receiver) and only the tally is printed.
 */
export async function startAlertReceiver(say: (line: string) => void) {
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      try {
        const n = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          id: string;
          event: string;
          severity: string;
          kind: string;
          summary: string;
        };
        // A resend after a replica died mid-send carries the same id: shown once.
        if (seen.has(n.id)) return;
        seen.add(n.id);
        say(
          `ALERT ${n.event === 'resolved' ? 'RESOLVED' : n.severity.toUpperCase()} ${n.kind}: ${n.summary}`,
        );
      } catch {
        say('ALERT receiver: a body that is not JSON');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received: () => seen.size,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The alerts the run raised, by kind: how many, how many resolved, notices not delivered. */
export async function alertTally(databaseUrl: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{
      kind: string;
      n: number;
      resolved: number;
      undelivered: number;
    }>(
      `SELECT a.kind, count(*)::int AS n,
              count(*) FILTER (WHERE a.state = 'resolved')::int AS resolved,
              (SELECT count(*)::int FROM alert_deliveries d JOIN alerts b ON b.id = d.alert_id
                WHERE b.kind = a.kind AND d.delivered_at IS NULL) AS undelivered
         FROM alerts a GROUP BY a.kind ORDER BY a.kind`,
    );
    return rows.map(
      (r) =>
        `${r.kind}: ${r.n} raised, ${r.resolved} resolved, ${r.undelivered} notice(s) not delivered`,
    );
  } finally {
    await c.end();
  }
}
