import { pollUntil } from '../platform/poll.js';
import { CloudNotFound, CloudPermanent } from './errors.js';
import type { EnsureDeps } from './huawei-ensure.js';

interface DeleteSpec {
  /** For messages: `subnet 1234`. */
  description: string;
  operation: string;
  /** The resource as the cloud shows it now; undefined once GET answers 404. */
  show(): Promise<unknown | undefined>;
  /** Issues the DELETE (204 starts it; the resource may linger for seconds to minutes). */
  remove(): Promise<unknown>;
  /** Subnets: a repeated DELETE answered 400 means the first one is under way (huawei-cloud.md §5.4). */
  badRequestMeansDeleting?: boolean;
  /** Subnets: a GET answered 403 while the delete runs is transient (enterprise-project permissions). */
  forbiddenWhileDeleting?: boolean;
}

/**
 * Deletes a network resource the way the real cloud needs it (huawei-cloud.md §5.4, the pattern
 * of the Terraform provider): look first (404: already gone), DELETE, then poll the GET until it
 * answers 404, because a 204 only starts the delete. "In use" and the cloud's transient answers
 * are thrown as the classified `Retryable` for the teardown to try again later; a resource still
 * there after `budgetMs` is `Retryable` too. Only a refusal the cloud means (a `Permanent`) ends
 * it for good.
 */
export async function deleteUntilGone(
  deps: Pick<EnsureDeps, 'clock' | 'pollIntervalMs'> & { budgetMs: number },
  spec: DeleteSpec,
): Promise<void> {
  if ((await spec.show()) === undefined) return;
  try {
    await spec.remove();
  } catch (e) {
    if (e instanceof CloudNotFound) return;
    const deleting =
      spec.badRequestMeansDeleting && e instanceof CloudPermanent && e.httpStatus === 400;
    if (!deleting) throw e;
  }
  await pollUntil(
    `${spec.description} to be gone`,
    {
      clock: deps.clock,
      timeoutMs: deps.budgetMs,
      ...(deps.pollIntervalMs ? { delay: () => deps.pollIntervalMs! } : {}),
    },
    async () => {
      try {
        return (await spec.show()) === undefined ? true : undefined;
      } catch (e) {
        if (spec.forbiddenWhileDeleting && e instanceof CloudPermanent && e.httpStatus === 403)
          return undefined;
        throw e;
      }
    },
  );
}
