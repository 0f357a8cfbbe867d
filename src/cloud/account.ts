/**
 * Whose cloud a deployment's resources live in (issue 14): the seller's own account, signed with
 * the seller's AK/SK, or a buyer's, reached through an IAM agency the buyer created trusting the
 * seller's account and signed with temporary credentials from `assume_role`
 * (huawei-iam-agency.md). Every cloud step takes one; `createCloudAccounts` turns it into a
 * `CloudApi`.
 *
 * @example
 *   const account: Account = { kind: 'buyer', domainId: '0a1b…', agencyName: 'kgd-deployer' };
 *   const cloud = accounts.cloudFor(account, 'cn-north-4');
 */
export type Account = { kind: 'seller' } | BuyerAccount;

export interface BuyerAccount {
  kind: 'buyer';
  /** The buyer's account (domain) id, 32 hex digits. */
  domainId: string;
  /** The agency the buyer created in IAM, trusting the seller's account. */
  agencyName: string;
  /**
   * Project ids per region when the buyer gave them (the fallback when discovery through
   * `GET /v3/auth/projects` is refused).
   */
  projectIds?: Record<string, string>;
}
