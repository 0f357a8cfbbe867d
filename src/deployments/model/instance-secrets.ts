import type { Instance } from '../../platform/db/schema.js';
import type { SecretScrubber } from '../../platform/logger.js';
import type { SecretBox } from '../../platform/secrets.js';

/**
 * The secrets an instance carries, sealed at rest, each bound to its purpose: the application
 * password handed to the buyer, the server's root password, and the buyer's private order values
 * (extension parameters may hold a server password; contact fields). Whatever is opened is also
 * given to the scrubber, so it never reaches a log line or the deployment's journal.
 *
 * @example
 *   const secrets = createInstanceSecrets(box, scrubber);
 *   const row = { app_password_sealed: secrets.sealAppPassword(id, generatePassword()) };
 *   secrets.extendParams(instance); // [{ name: 'serverIp', value: '...' }]
 */
interface PrivateOrderValues {
  extendParams?: Array<{ name: string; value: string }>;
  contact?: Record<string, string>;
}

export interface InstanceSecrets {
  sealAppPassword(instanceId: string, password: string): string;
  appPassword(inst: Pick<Instance, 'id' | 'app_password_sealed'>): string | undefined;
  sealRootPassword(instanceId: string, password: string): string;
  rootPassword(inst: Pick<Instance, 'id' | 'root_password_sealed'>): string | undefined;
  sealPrivate(instanceId: string, values: PrivateOrderValues): string;
  privateValues(inst: Pick<Instance, 'id' | 'private_sealed'>): PrivateOrderValues;
  extendParams(
    inst: Pick<Instance, 'id' | 'private_sealed'>,
  ): Array<{ name: string; value: string }>;
  /** One extension parameter holding a secret (a buyer's server password): scrubbed from logs. */
  secretParam(inst: Pick<Instance, 'id' | 'private_sealed'>, name: string): string | undefined;
}

/** The purpose each sealed instance column is bound to (a master key rotation re-seals under it). */
export const instanceSecretPurposes = {
  appPassword: (id: string) => `instance:${id}:app-password`,
  rootPassword: (id: string) => `instance:${id}:root-password`,
  private: (id: string) => `instance:${id}:private`,
};

export function createInstanceSecrets(box: SecretBox, scrubber: SecretScrubber): InstanceSecrets {
  const open = (sealed: string, purpose: string) => {
    const plain = box.open(sealed, purpose);
    scrubber.add(plain);
    return plain;
  };
  const privateValues = (inst: Pick<Instance, 'id' | 'private_sealed'>): PrivateOrderValues => {
    if (!inst.private_sealed) return {};
    // Not scrubbed as a whole: most values (a server address, a region) are fine in a log line.
    return JSON.parse(
      box.open(inst.private_sealed, instanceSecretPurposes.private(inst.id)),
    ) as PrivateOrderValues;
  };
  return {
    sealAppPassword: (id, password) => box.seal(password, instanceSecretPurposes.appPassword(id)),
    appPassword: (inst) =>
      inst.app_password_sealed
        ? open(inst.app_password_sealed, instanceSecretPurposes.appPassword(inst.id))
        : undefined,
    sealRootPassword: (id, password) => box.seal(password, instanceSecretPurposes.rootPassword(id)),
    rootPassword: (inst) =>
      inst.root_password_sealed
        ? open(inst.root_password_sealed, instanceSecretPurposes.rootPassword(inst.id))
        : undefined,
    sealPrivate: (id, values) =>
      box.seal(JSON.stringify(values), instanceSecretPurposes.private(id)),
    privateValues,
    extendParams: (inst) => privateValues(inst).extendParams ?? [],
    secretParam(inst, name) {
      const value = privateValues(inst).extendParams?.find((p) => p.name === name)?.value;
      if (value) scrubber.add(value);
      return value;
    },
  };
}
