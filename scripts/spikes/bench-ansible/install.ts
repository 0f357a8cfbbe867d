import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { signLicense } from '../../../src/licenses/license-token.js';
import { shellQuote } from '../../../src/remote/shell-quote.js';
import type { HostSpec } from '../../../src/simulator/hosts/simulated-hosts.js';

/**
 * The install phase of demo-license as data, so that the remote adapter and the Ansible playbook
 * do exactly the same things: the same archive, files, modes and hook commands as the engine's
 * upload-package, install-license and hook steps (src/deployments/steps/remote.ts).
 */
export interface Install {
  name: string;
  licensee: string;
  archive: string;
  remoteArchive: string;
  unpack: string;
  files: { local: string; content: string; dest: string; mode: number }[];
  hooks: { name: string; command: string }[];
  /** Ansible inventory naming the target machine. */
  inventory: string;
}

const installDir = '/opt/demo-license';
const root = path.resolve(import.meta.dirname, '../../..');

export function machineSpec(i: number, publicKey: string): HostSpec {
  return {
    serverId: `bench-ansible-${i}`,
    address: `127.20.251.${i}`,
    privateIp: `192.168.0.${10 + i}`,
    hostname: `ecs-bench-${i}`,
    adminPass: `Bench-Ansible-${i}-2026!`,
    authorizedKeys: [publicKey],
    image: { id: '1a2b3c4d-0001-4000-8000-000000002204' },
    ingress: [
      { protocol: 'tcp', portMin: 22, portMax: 22, remoteIpPrefix: '0.0.0.0/0' },
      { protocol: 'tcp', portMin: 8080, portMax: 8080, remoteIpPrefix: '0.0.0.0/0' },
    ],
    bootDelayMs: 0,
  };
}

/** The package, built as the engine builds it (sorted, fixed owner and mtime, gzip -n). */
function packageArchive(dir: string): string {
  const file = path.join(dir, 'demo-license.tar.gz');
  execFileSync('tar', [
    ...['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'],
    ...['-I', 'gzip -n', '-cf', file, '-C', path.join(root, 'templates/demo-license/package')],
    '.',
  ]);
  return file;
}

/** One install per tool for this run, each on its own machine with its own license. */
export function installFiles(
  dir: string,
  run: number,
  [forSsh2, forAnsible]: HostSpec[],
): { ssh2: Install; ansible: Install; empty: Install } {
  const archive = packageArchive(dir);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const keyFile = path.join(dir, 'client_key');
  const make = (name: string, spec: HostSpec): Install => {
    const local = path.join(dir, name);
    mkdirSync(local, { recursive: true });
    const licensee = `Bench Buyer ${name}`;
    const now = Date.now();
    const token = signLicense(
      {
        v: 1,
        id: `lic-${randomBytes(4).toString('hex')}`,
        instanceId: spec.serverId,
        orderId: 'CS-BENCH',
        productId: 'OFFI-DEMO-LICENSE-MONTH',
        skuCode: 'basic',
        licensee: { customerId: 'cust-bench', customerName: licensee },
        limits: { users: 10 },
        issuedAt: new Date(now).toISOString(),
        notBefore: new Date(now - 60_000).toISOString(),
        expiresAt: new Date(now + 30 * 86_400_000).toISOString(),
        boundTo: { serverId: spec.serverId },
        test: true,
      },
      privateKey,
    );
    const env: Record<string, string> = {
      KGD_INSTANCE_ID: spec.serverId,
      KGD_PRODUCT: 'demo-license',
      KGD_SKU: 'basic',
      KGD_INSTALL_DIR: installDir,
      KGD_LICENSE_PATH: `${installDir}/license/license.key`,
      KGD_LICENSE_PUBLIC_KEY_PATH: `${installDir}/license/license.pub`,
      KGD_ADMIN_USER: 'admin',
      KGD_ADMIN_PASSWORD: randomBytes(12).toString('base64url'),
      KGD_EIP: spec.address,
      KGD_PRIVATE_IP: spec.privateIp,
      KGD_LIMIT_USERS: '10',
    };
    const files = [
      { name: 'license.key', content: `${token}\n# demo-license for ${licensee}\n`, mode: 0o644 },
      { name: 'license.pub', content: publicKeyPem, mode: 0o644 },
      {
        name: 'env',
        content: Object.entries(env)
          .map(([k, v]) => `${k}=${shellQuote(v)}\n`)
          .join(''),
        mode: 0o600,
      },
    ].map((f) => {
      const file = path.join(local, f.name);
      writeFileSync(file, f.content, { mode: f.mode });
      const dest = f.name === 'env' ? `${installDir}/.kgd/env` : `${installDir}/license/${f.name}`;
      return { local: file, content: f.content, dest, mode: f.mode };
    });
    const inventory = path.join(local, 'inventory');
    writeFileSync(
      inventory,
      `target ansible_host=${spec.address} ansible_port=2222 ansible_user=root ` +
        `ansible_ssh_private_key_file=${keyFile} ansible_python_interpreter=/usr/bin/python3 ` +
        `ansible_ssh_common_args='-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no'\n`,
    );
    const remoteArchive = `${installDir}/.kgd/package.tar.gz`;
    return {
      name,
      licensee,
      archive,
      remoteArchive,
      unpack: `mkdir -p ${installDir} && tar -xzf ${remoteArchive} -C ${installDir}`,
      files,
      hooks: ['install', 'start', 'poststart'].map((hook) => ({
        name: hook,
        command: `cd ${installDir} && set -a && . ./.kgd/env && set +a && bash scripts/${hook}.sh`,
      })),
      inventory,
    };
  };
  const ansible = make(`run${run}-ansible`, forAnsible!);
  return {
    ssh2: make(`run${run}-ssh2`, forSsh2!),
    ansible,
    empty: { ...ansible, name: `run${run}-empty`, files: [], hooks: [], unpack: '' },
  };
}

/** The same install as a playbook; an install without steps gives Ansible's own start-up. */
export function playbook(install: Install): string {
  const octal = (mode: number) => `0${mode.toString(8)}`;
  const tasks = install.unpack
    ? [
        {
          name: 'directories',
          'ansible.builtin.file': { path: `${installDir}/.kgd`, state: 'directory', mode: '0700' },
        },
        {
          name: 'upload the package',
          'ansible.builtin.copy': {
            src: install.archive,
            dest: install.remoteArchive,
            mode: '0600',
          },
        },
        { name: 'unpack', 'ansible.builtin.shell': install.unpack },
        {
          name: 'license directory',
          'ansible.builtin.file': { path: `${installDir}/license`, state: 'directory' },
        },
        ...install.files.map((f) => ({
          name: `write ${path.basename(f.dest)}`,
          'ansible.builtin.copy': { src: f.local, dest: f.dest, mode: octal(f.mode) },
        })),
        ...install.hooks.map((h) => ({
          name: `hook ${h.name}`,
          'ansible.builtin.shell': { cmd: h.command, executable: '/bin/bash' },
        })),
      ]
    : [];
  return stringify([{ name: install.name, hosts: 'target', gather_facts: false, tasks }]);
}
