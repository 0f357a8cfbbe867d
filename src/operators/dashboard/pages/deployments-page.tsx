import type { DeploymentList } from '../../model.js';
import { instanceStatuses } from '../../model.js';
import type { DeploymentFilters } from '../../queries/deployments.js';
import { Badge, when } from '../layout.js';

const qs = (f: DeploymentFilters, over: Partial<DeploymentFilters>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...over })) if (v) p.set(k, String(v));
  const s = p.toString();
  return s ? `/dashboard?${s}` : '/dashboard';
};

export function DeploymentsPage(props: {
  list: DeploymentList;
  filters: DeploymentFilters;
  error?: string | undefined;
}) {
  const { list, filters: f } = props;
  return (
    <>
      <h1>Deployments</h1>
      <div class="counts">
        <a href={qs(f, { status: undefined })} class={f.status ? '' : 'on'}>
          all {list.total}
        </a>
        {instanceStatuses
          .filter((s) => list.counts[s])
          .map((s) => (
            <a href={qs(f, { status: s })} class={f.status === s ? 'on' : ''} data-status-count={s}>
              <Badge status={s} /> {list.counts[s]}
            </a>
          ))}
      </div>
      <form class="filters" method="get" action="/dashboard">
        {f.status && <input type="hidden" name="status" value={f.status} />}
        <input name="product" placeholder="product" value={f.product ?? ''} />
        <input name="customer" placeholder="customer id or name" value={f.customer ?? ''} />
        <input name="since" placeholder="since (24h, 7d, 2026-03-01)" value={f.since ?? ''} />
        <button type="submit">Filter</button>
        <a class="button" href="/dashboard">
          Clear
        </a>
      </form>
      {props.error && <p class="problem">{props.error}</p>}
      <table id="deployments">
        <thead>
          <tr>
            <th>Deployment</th>
            <th>Status</th>
            <th>Product</th>
            <th>Customer</th>
            <th>Server</th>
            <th>Created</th>
            <th>Last operation</th>
          </tr>
        </thead>
        <tbody>
          {list.items.length === 0 && (
            <tr>
              <td colspan={7} class="muted">
                No deployments match.
              </td>
            </tr>
          )}
          {list.items.map((d) => (
            <tr data-deployment={d.id}>
              <td class="mono nowrap">
                <a href={`/dashboard/d/${encodeURIComponent(d.id)}`}>{d.id}</a>
                {d.test && <span class="muted"> (test)</span>}
              </td>
              <td>
                <Badge status={d.status} />
                {d.statusDetail && (
                  <div class="muted" style="max-width:340px">
                    {d.statusDetail}
                  </div>
                )}
              </td>
              <td>
                {d.product ?? '–'} <span class="muted">{d.sku}</span>
              </td>
              <td>{d.customerName ?? d.customerId ?? '–'}</td>
              <td class="mono">
                {d.flavor ?? '–'} {d.eip && <div class="muted">{d.eip}</div>}
              </td>
              <td>{when(d.createdAt)}</td>
              <td>
                {d.latestOperation ? (
                  <>
                    {d.latestOperation.kind} <Badge status={d.latestOperation.status} />
                    {d.latestOperation.failedStep && (
                      <span class="muted"> at {d.latestOperation.failedStep}</span>
                    )}
                    {(d.latestOperation.attempts > 1 ||
                      Object.keys(d.latestOperation.overrides).length > 0) && (
                      <div class="muted">
                        {Object.keys(d.latestOperation.overrides).length > 0
                          ? `rerun with ${Object.entries(d.latestOperation.overrides)
                              .map(([k, v]) => `${k} ${v}`)
                              .join(', ')}`
                          : `attempt ${d.latestOperation.attempts}`}
                      </div>
                    )}
                  </>
                ) : (
                  '–'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
