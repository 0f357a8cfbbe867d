// Waits until the server answers /healthz with the installed license, or fails with the reason:
// the server process exited (its last log lines are printed), or the deadline passed.
//   node bin/wait-healthy.mjs [timeoutSeconds]     (default 60)
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { checkInstalledLicense } from './license.mjs';

const app = JSON.parse(readFileSync(new URL('./app.json', import.meta.url), 'utf8'));
const port = Number(process.env.KGD_DEMO_PORT || app.defaultPort);
const timeoutMs = Number(process.argv[2] || 60) * 1000;
const pidFile = new URL('../run/server.pid', import.meta.url);
const logFile = new URL('../log/server.log', import.meta.url);

function serverAlive() {
  try {
    const pid = readFileSync(pidFile, 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which may itself hold spaces or parentheses.
    if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return false;
    // The pid of a server that exited may already belong to another process.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bin/server.mjs');
  } catch {
    return false;
  }
}

function lastLogLines(n) {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

function probe() {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, body: JSON.parse(body) });
        } catch {
          resolve({ status: res.statusCode, body: {} });
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 2 s')));
    req.on('error', (err) => resolve({ status: 0, body: { reason: err.message } }));
  });
}

const installed = checkInstalledLicense();
if (!installed.ok) {
  console.error(`license refused: ${installed.reason}`);
  process.exit(1);
}
const deadline = Date.now() + timeoutMs;
let last = 'no answer yet';
for (;;) {
  if (!serverAlive()) {
    console.error(`${app.name} is not running. Last lines of log/server.log:\n${lastLogLines(10)}`);
    process.exit(1);
  }
  const { status, body } = await probe();
  if (status === 200 && body.license === installed.license.id) {
    console.log(`${app.name} is healthy on port ${port} with license ${body.license}`);
    process.exit(0);
  }
  last = status === 200 ? `serving license ${body.license}` : `${status}: ${body.reason ?? ''}`;
  if (Date.now() > deadline) {
    console.error(`${app.name} not healthy after ${timeoutMs / 1000} s (last: ${last})`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
