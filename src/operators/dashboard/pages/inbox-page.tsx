import type { InboxSummary, ReplayResult } from '../../model.js';
import { Badge, when } from '../layout.js';

const code = (c: string) => (
  <span class={`badge ${c === '000000' ? 's-ok' : c === '000004' ? 's-running' : 's-failed'}`}>
    {c}
  </span>
);

export function InboxPage(props: {
  items: InboxSummary[];
  activity?: string | undefined;
  canOperate: boolean;
  csrf: string;
  replay?: ReplayResult | undefined;
  error?: string | undefined;
}) {
  return (
    <>
      <h1>Inbox</h1>
      <p class="muted">
        Every marketplace call recorded, with the answer given. Replay sends one again through the
        gateway, re-signed with a fresh timestamp and nonce.
      </p>
      {props.error && <p class="problem">{props.error}</p>}
      {props.replay && (
        <div class="flash" id="replay-result">
          Replayed #{props.replay.inboxId} ({props.replay.activity}): stored answer{' '}
          {props.replay.stored.resultCode}, new answer {props.replay.replayed.resultCode}
          <pre class="mono">{JSON.stringify(props.replay.replayed.answer, null, 2)}</pre>
        </div>
      )}
      <form class="filters" method="get" action="/dashboard/inbox">
        <input name="activity" placeholder="activity" value={props.activity ?? ''} />
        <button type="submit">Filter</button>
      </form>
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>Received</th>
            <th>Call</th>
            <th>Answer</th>
            <th>Instance</th>
            <th>ms</th>
            <th>Replay</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((r) => (
            <tr data-inbox={r.id}>
              <td>{r.id}</td>
              <td>{when(r.receivedAt)}</td>
              <td>
                {r.protocol} {r.activity ?? '–'}{' '}
                {r.duplicate && <span class="muted">(duplicate)</span>}{' '}
                {r.test && <span class="muted">(test)</span>}
              </td>
              <td>
                {code(r.resultCode)} {r.answeredLate && <Badge status="warn" />}
              </td>
              <td class="mono">
                {r.instanceId ? (
                  <a href={`/dashboard/d/${encodeURIComponent(r.instanceId)}`}>{r.instanceId}</a>
                ) : (
                  '–'
                )}
              </td>
              <td>{r.durationMs}</td>
              <td>
                {props.canOperate && (
                  <form
                    method="post"
                    action={`/dashboard/inbox/${r.id}/replay`}
                    style="display:flex;gap:4px"
                  >
                    <input type="hidden" name="csrf" value={props.csrf} />
                    <input name="reason" placeholder="reason" required size={12} />
                    <button type="submit">Replay</button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
