import { spawn } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import type { Source } from './forms.js';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * What an operator would run after the fact, against the run's own database: the commands that
 * print deployments, their logs, licenses, marketplace calls, the audit log and the
 * configuration. Each command's stdout and stderr together are one source to search.
 */
export async function operatorCommandOutputs(options: {
  client: pg.Client;
  env: Record<string, string | undefined>;
  maxInstances: number;
}): Promise<Source[]> {
  const { client, maxInstances } = options;
  const { rows: instances } = await client.query<{ id: string }>(
    // One of each status first: a failed or frozen deployment prints other things than a ready one.
    `SELECT id FROM (
       SELECT id, row_number() OVER (PARTITION BY status ORDER BY created_at DESC) AS n, created_at
         FROM instances) t
      ORDER BY n, created_at DESC LIMIT $1`,
    [maxInstances],
  );
  const { rows: calls } = await client.query<{ id: string }>(
    `SELECT id FROM (
       SELECT id, row_number() OVER (PARTITION BY activity ORDER BY id DESC) AS n FROM inbox) t
      ORDER BY n, id DESC LIMIT $1`,
    [maxInstances * 2],
  );
  const commands: string[][] = [
    ['config', 'check'],
    ['config', 'check', '--json'],
    ['deployments', 'list'],
    ['deployments', 'list', '--json'],
    ['inbox', 'list', '--json', '--limit', '500'],
    ['audit', 'list', '--json', '--limit', '500'],
    ['tokens', 'list'],
    ['license', 'public-key'],
    ...instances.flatMap(({ id }) => [
      ['deployments', 'show', id, '--tail', '200'],
      ['deployments', 'show', id, '--json', '--tail', '200'],
      ['deployments', 'logs', id, '--json'],
      ['license', 'show', id, '--json'],
    ]),
    ...calls.map(({ id }) => ['inbox', 'show', id, '--json']),
  ];
  const outputs: Source[] = [];
  // Two at a time: the machine has two cores and each command starts a Node process.
  for (let i = 0; i < commands.length; i += 2) {
    outputs.push(...(await Promise.all(commands.slice(i, i + 2).map((c) => kgd(c, options.env)))));
  }
  return outputs;
}

function kgd(args: string[], env: Record<string, string | undefined>): Promise<Source> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/kgd.js', ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    // Exit codes are not failures here (license show exits 3 for a released instance): the
    // output is what is searched.
    child.on('close', (code) =>
      resolve({ name: `kgd ${args.join(' ')} (exit ${code})`, data: Buffer.concat(out) }),
    );
  });
}
