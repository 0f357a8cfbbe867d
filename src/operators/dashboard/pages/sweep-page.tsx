import type { SweepCandidate, SweepDeletion } from '../../model.js';
import { Badge } from '../layout.js';

export function SweepPage(props: {
  items?: SweepCandidate[] | undefined;
  error?: string | undefined;
  canOperate: boolean;
  csrf: string;
  deleted?: SweepDeletion[] | undefined;
}) {
  const items = props.items ?? [];
  return (
    <>
      <h1>Sweep</h1>
      <p class="muted">
        Cloud resources tagged kgd-managed=true whose deployment is released, failed, or unknown to
        this database.
      </p>
      {props.error && <p class="problem">{props.error}</p>}
      {props.deleted && (
        <div class="flash" id="sweep-result">
          {props.deleted.map((d) => (
            <div>
              {d.instanceId || '(untagged)'}:{' '}
              {d.error ? `failed: ${d.error}` : `${d.deleted} deleted`}
            </div>
          ))}
        </div>
      )}
      {props.items && items.length === 0 && (
        <p>Nothing to sweep: every tagged resource belongs to a live deployment.</p>
      )}
      {items.length > 0 && (
        <form method="post" action="/dashboard/sweep/delete">
          <input type="hidden" name="csrf" value={props.csrf} />
          <table>
            <thead>
              <tr>
                <th />
                <th>Instance</th>
                <th>Why</th>
                <th>Servers</th>
                <th>Security groups</th>
                <th>Subnets</th>
                <th>VPCs</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr data-sweep={c.instanceId}>
                  <td>
                    {props.canOperate && (
                      <input type="checkbox" name="instanceIds" value={c.instanceId} checked />
                    )}
                  </td>
                  <td class="mono">{c.instanceId || '(no tag)'}</td>
                  <td>
                    <Badge status={c.why === 'unknown' ? 'warn' : c.why} /> {c.why}
                  </td>
                  <td class="mono">
                    {c.servers.map((s) => `${s.id} (${s.status})`).join(', ') || '–'}
                  </td>
                  <td class="mono">{c.securityGroups.map((s) => s.id).join(', ') || '–'}</td>
                  <td class="mono">{c.subnets.map((s) => s.id).join(', ') || '–'}</td>
                  <td class="mono">{c.vpcs.map((s) => s.id).join(', ') || '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {props.canOperate && (
            <div class="card">
              <label class="f" for="reason">
                Reason (required)
              </label>
              <input name="reason" id="reason" required size={60} />
              <label style="margin-left:12px">
                <input type="checkbox" name="confirm" value="yes" required /> I checked: delete the
                selected resources
              </label>
              <div class="actions">
                <button type="submit" class="danger" id="sweep-delete">
                  Delete selected
                </button>
              </div>
            </div>
          )}
        </form>
      )}
    </>
  );
}
