import type { Overrides } from '../../../deployments/model/overrides.js';
import type { DeploymentDetail } from '../../model.js';
import { Badge } from '../layout.js';

export type ActionName = 'rerun' | 'cancel' | 'retry-cleanup' | 'release';

const titles: Record<
  ActionName,
  { title: string; button: string; explain: string; danger?: boolean }
> = {
  rerun: {
    title: 'Rerun',
    button: 'Confirm rerun',
    explain:
      'Reruns the failed operation from its failed step (or the step chosen). Completed steps before it keep their results: nothing is created twice. Edited inputs restart at the plan.',
  },
  cancel: {
    title: 'Cancel',
    button: 'Confirm cancel',
    explain: 'Asks the running or pending operation to stop at its next step.',
  },
  'retry-cleanup': {
    title: 'Retry cleanup',
    button: 'Confirm retry cleanup',
    explain:
      'Runs the cleanup of the operation whose cleanup failed again, from its first cleanup step.',
  },
  release: {
    title: 'Release',
    button: 'Confirm release',
    explain:
      "Tears the deployment down as the marketplace's release would: the server, its EIP and disks, and its network are deleted.",
    danger: true,
  },
};

/** The form's values as typed (strings), before `RerunRequest` parses them. */
export type ConfirmValues = Partial<Record<'reason' | 'from' | keyof Overrides, string>>;

/** The confirmation step before an action: what it does, a required reason, and for a rerun the edits. */
export function ConfirmPage(props: {
  action: ActionName;
  detail: DeploymentDetail;
  csrf: string;
  error?: string | undefined;
  values?: ConfirmValues;
}) {
  const t = titles[props.action];
  const x = props.detail.deployment;
  const v = props.values ?? {};
  const target = props.detail.operations.find((o) =>
    ['failed', 'cancelled', 'cleanup_failed'].includes(o.status),
  );
  const stepNames = [...new Set((target?.steps ?? []).map((s) => s.name))].filter(
    (n) => n !== 'begin' && n !== 'finish',
  );
  return (
    <>
      <p>
        <a href={`/dashboard/d/${encodeURIComponent(x.id)}`}>← {x.id}</a>
      </p>
      <h1>
        {t.title} <span class="mono">{x.id}</span> <Badge status={x.status} />
      </h1>
      <p>{t.explain}</p>
      {props.action === 'rerun' && target && (
        <p class="muted">
          Operation <span class="mono">{target.id}</span> ({target.kind}, {target.status}
          {target.failedStep ? ` at ${target.failedStep}` : ''}).
        </p>
      )}
      {props.error && (
        <p class="problem" id="action-error">
          {props.error}
        </p>
      )}
      <form method="post" class="card">
        <input type="hidden" name="csrf" value={props.csrf} />
        {props.action === 'rerun' && (
          <div class="form-grid">
            <div>
              <label class="f" for="from">
                From step
              </label>
              <select name="from" id="from">
                <option value="">
                  the failed step{target?.failedStep ? ` (${target.failedStep})` : ''}
                </option>
                {stepNames.map((n) => (
                  <option value={n} selected={v.from === n}>
                    {n}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label class="f" for="flavor">
                Flavor
              </label>
              <input
                name="flavor"
                id="flavor"
                placeholder={x.flavor ?? 'as planned'}
                value={v.flavor ?? ''}
              />
            </div>
            <div>
              <label class="f" for="az">
                Availability zone
              </label>
              <input name="az" id="az" placeholder={x.az ?? 'as planned'} value={v.az ?? ''} />
            </div>
            <div>
              <label class="f" for="imageId">
                Image
              </label>
              <input name="imageId" id="imageId" placeholder="as planned" value={v.imageId ?? ''} />
            </div>
            <div>
              <label class="f" for="sshPort">
                SSH port
              </label>
              <input
                name="sshPort"
                id="sshPort"
                inputmode="numeric"
                placeholder="as planned"
                value={v.sshPort ?? ''}
              />
            </div>
            <div>
              <label class="f" for="templateVersion">
                Template version
              </label>
              <input
                name="templateVersion"
                id="templateVersion"
                placeholder={x.templateVersion ?? 'current'}
                value={v.templateVersion ?? ''}
              />
            </div>
          </div>
        )}
        <label class="f" for="reason">
          Reason (required, kept in the audit log)
        </label>
        <textarea name="reason" id="reason" rows={2} cols={80} required>
          {v.reason ?? ''}
        </textarea>
        <div class="actions">
          <button type="submit" class={t.danger ? 'danger' : 'primary'} id="confirm">
            {t.button}
          </button>
          <a class="button" href={`/dashboard/d/${encodeURIComponent(x.id)}`}>
            Back
          </a>
        </div>
      </form>
    </>
  );
}
