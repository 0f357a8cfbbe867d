import type { DeploymentDetail, OperationDetail } from '../../model.js';
import { Badge, ms, when } from '../layout.js';

const rerunnable = ['failed', 'cancelled', 'cleanup_failed'];

/** Which actions make sense now; the engine decides for sure (and says why it refuses). */
function availableActions(d: DeploymentDetail) {
  const ops = d.operations;
  const latest = ops[0];
  return {
    rerun:
      (ops.some((o) => rerunnable.includes(o.status)) &&
        !['released', 'releasing'].includes(d.deployment.status)) ||
      (latest?.kind === 'release' && latest.status === 'failed'),
    cancel: ops.some(
      (o) => (o.status === 'pending' || o.status === 'running') && o.kind !== 'release',
    ),
    retryCleanup: ops.some(
      (o) => o.status === 'cleanup_failed' || (o.kind === 'release' && o.status === 'failed'),
    ),
    release: !['released', 'releasing'].includes(d.deployment.status),
  };
}

function Timeline(props: { op: OperationDetail }) {
  const steps = props.op.steps;
  if (props.op.stepsUnavailable)
    return <p class="muted">Steps unavailable: {props.op.stepsUnavailable}</p>;
  if (steps.length === 0) return <p class="muted">No step recorded yet.</p>;
  const longest = Math.max(1, ...steps.map((s) => s.durationMs ?? 0));
  return (
    <table class="timeline">
      <thead>
        <tr>
          <th style="width:26%">Step</th>
          <th style="width:8%">Status</th>
          <th style="width:14%">Started</th>
          <th style="width:9%">Duration</th>
          <th>Time / error</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s) => (
          <tr data-step={s.name} data-step-status={s.status}>
            <td class="mono">{s.name}</td>
            <td>
              <Badge status={s.status} />
            </td>
            <td title={when(s.startedAt)}>{s.startedAt ? s.startedAt.slice(11, 23) : '–'}</td>
            <td>{ms(s.durationMs)}</td>
            <td>
              <div
                class={`bar${s.status === 'failed' ? ' failed' : ''}`}
                style={`width:${Math.max(0.5, ((s.durationMs ?? 0) / longest) * 100).toFixed(1)}%`}
              />
              {s.error && <div class="error mono">{s.error}</div>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DeploymentPage(props: {
  detail: DeploymentDetail;
  canOperate: boolean;
  flash?: string | undefined;
}) {
  const { detail } = props;
  const x = detail.deployment;
  const can = availableActions(detail);
  const base = `/dashboard/d/${encodeURIComponent(x.id)}`;
  return (
    <>
      <p>
        <a href="/dashboard">← Deployments</a>
      </p>
      <h1>
        <span class="mono">{x.id}</span> <Badge status={x.status} />
      </h1>
      {props.flash && <p class="flash">{props.flash}</p>}
      {x.statusDetail && (
        <p class={x.status === 'failed' || x.status === 'cleanup_failed' ? 'problem' : 'muted'}>
          {x.statusDetail}
        </p>
      )}
      <div class="actions">
        {props.canOperate ? (
          <>
            {can.rerun && (
              <a class="button primary" href={`${base}/rerun`} id="rerun">
                Rerun…
              </a>
            )}
            {can.cancel && (
              <a class="button" href={`${base}/cancel`} id="cancel">
                Cancel…
              </a>
            )}
            {can.retryCleanup && (
              <a class="button" href={`${base}/retry-cleanup`} id="retry-cleanup">
                Retry cleanup…
              </a>
            )}
            {can.release && (
              <a class="button danger" href={`${base}/release`} id="release">
                Release…
              </a>
            )}
          </>
        ) : (
          <span class="muted">Read-only token: actions need the operate scope.</span>
        )}
      </div>
      <div class="card grid">
        <div>
          <span>product</span> {x.product ?? '–'} {x.templateVersion ?? ''} / {x.sku ?? '–'}
        </div>
        <div>
          <span>customer</span> {x.customerName ?? '–'} ({x.customerId ?? '–'})
        </div>
        <div>
          <span>order</span> <span class="mono">{x.orderId}</span> ({x.protocol}
          {x.test ? ', test' : ''})
        </div>
        <div>
          <span>server</span> <span class="mono">{x.serverId ?? '–'}</span>
        </div>
        <div>
          <span>flavor / AZ</span> {x.flavor ?? '–'} / {x.az ?? '–'}
        </div>
        <div>
          <span>EIP</span> {x.eip ?? '–'}
        </div>
        <div>
          <span>network</span> <span class="mono">{x.vpcId ?? '–'}</span>
        </div>
        <div>
          <span>created</span> {when(x.createdAt)}
        </div>
        <div>
          <span>ready</span> {when(x.readyAt)}
        </div>
      </div>
      <h2>Operations</h2>
      {detail.operations.map((op) => (
        <div class="card" data-operation={op.id}>
          <div>
            <strong>{op.kind}</strong> <Badge status={op.status} />{' '}
            <span class="mono muted">{op.id}</span> · attempts {op.attempts} · created{' '}
            {when(op.createdAt)}
            {op.finishedAt && <> · finished {when(op.finishedAt)}</>}
            {Object.keys(op.overrides).length > 0 && (
              <span class="mono"> · overrides {JSON.stringify(op.overrides)}</span>
            )}
          </div>
          {op.error && (
            <p class="problem">
              {op.failedStep && <strong>{op.failedStep}: </strong>}
              {String(op.error.message ?? JSON.stringify(op.error))}
            </p>
          )}
          <Timeline op={op} />
        </div>
      ))}
      <h2>Log</h2>
      <pre class="log" id="log">
        {detail.logTail.map((l) => (
          <div class={`l-${l.level}`}>
            {when(l.at).slice(11)} {l.level.padEnd(5)} {(l.step ?? '-').padEnd(20)} {l.message}
          </div>
        ))}
      </pre>
    </>
  );
}
