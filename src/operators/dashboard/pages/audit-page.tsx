import type { AuditEntryView } from '../../model.js';
import { Badge, when } from '../layout.js';

const brief = (v: Record<string, unknown> | null) => {
  if (!v) return '–';
  const i = v.instance as { status?: string } | undefined;
  const o = v.operation as { status?: string; kind?: string } | undefined;
  if (i || o) return [i?.status, o && `${o.kind} ${o.status}`].filter(Boolean).join(' / ');
  return JSON.stringify(v).slice(0, 160);
};

export function AuditPage(props: { items: AuditEntryView[]; target?: string | undefined }) {
  return (
    <>
      <h1>Audit log</h1>
      <form class="filters" method="get" action="/dashboard/audit">
        <input
          name="target"
          placeholder="instance, operation, inbox:<id>"
          value={props.target ?? ''}
        />
        <button type="submit">Filter</button>
      </form>
      <table id="audit">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>What</th>
            <th>Target</th>
            <th>Why</th>
            <th>Result</th>
            <th>Before → after</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((a) => (
            <tr data-audit={a.id}>
              <td>{when(a.at)}</td>
              <td>{a.actor}</td>
              <td class="mono">{a.action}</td>
              <td class="mono">
                {a.target.startsWith('kgi-') ? (
                  <a href={`/dashboard/d/${encodeURIComponent(a.target)}`}>{a.target}</a>
                ) : (
                  a.target
                )}
              </td>
              <td>{a.reason}</td>
              <td>
                <Badge status={a.result} /> {a.detail && <div class="muted">{a.detail}</div>}
              </td>
              <td>
                {brief(a.before)} → {brief(a.after)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
