import { describe, expect, it } from 'vitest';
import { ansibleRows, deployRows, gatewayRows, ParseError, sshRows, table } from './parse.js';

// Outputs as the benchmark scripts print them (taken from real runs).
const gateway = `load: 32 concurrent clients, 5 s per target, mix 35% new / 15% resent new / 25% renewals (30% resent) / 25% status polls, all V2-signed
bare Hono, constant signed answer       4010 req/s    2021 durable/s  p50   5.93 ms  p99  39.40 ms  errors 0
kgd serve, embedded PostgreSQL           223 req/s     166 durable/s  p50 136.71 ms  p99 268.67 ms  errors 0
result codes (kgd): {"000003":24,"000004":786,"000000":290,"000005":36}
ratio kgd/baseline: throughput 0.056, p99 6.82x
target: >= 1000 durable notifications/s and p99 < 50 ms -> NOT met
`;
const deploy = `part 1: 2 deploys of demo-license, simulated durations ×0.1 (fixed midpoints of the realistic ranges)
  lower bound (VPC 0.23 s + subnet 0.35 s + server 4.50 s + boot 2.25 s + 5 API calls 0.04 s): 7.37 s
  adaptive polling (kgd)           time-to-ready mean 10.64 s (max 10.80 s), overhead 44.32 % of the lower bound
  fixed 10 s polling (reference)   time-to-ready mean 11.01 s (max 11.21 s), overhead 49.40 % of the lower bound
  target: kgd overhead under 3 % -> NOT met
part 2: 40 purchases at once, ecs.createServers limited to 20/minute, durations ×0.1
  ready after (s): first 21.0, 25 % 25.8, 50 % 73.6, 75 % 77.3, last 78.1
  all 40 ready in 78.12 s (purchases sent in 0.01 s); servers 40
  lower bound: 1 full rate-limit window(s) of 60 s + one deploy 7.37 s = 67.37 s; makespan / bound = 1.160
  kgd serve peak memory (VmHWM): 243 MB; CPU 10.0 s (251 ms per deployment) — the simulator and its 40 servers run on the same 2 cores
`;
const ssh = `payload: 50 MiB of random data, sha256 09afada467716a17...
run 1: scp   93 MiB/s (535 ms)  ssh2  217 MiB/s (230 ms)

best of 2:   scp  102 MiB/s (489 ms)   ssh2  217 MiB/s (230 ms)
median:      scp   93 MiB/s (535 ms)   ssh2  217 MiB/s (230 ms)
ratio ssh2/scp: 212% (best), 232% (median); target >= 90%: met
`;
const ansible = `install phase of demo-license on a fresh simulated server, 2 runs each; ansible-playbook [core 2.14.18]
run 1: ssh2 0.49 s  ansible 4.78 s  (ansible-playbook with no task: 0.58 s)

median install phase: ssh2 0.70 s, ansible 4.97 s (of which start-up 0.90 s); best: ssh2 0.49 s, ansible 4.78 s
ratio ansible/ssh2: 7.05x (median)
`;

describe('benchmark output parsers', () => {
  it('reads the gateway against bare Hono', () => {
    const [throughput, latency] = gatewayRows(gateway);
    expect(throughput).toMatchObject({
      kgd: '223 req/s (166 durable/s, 0 errors)',
      baseline: 'bare Hono 4010 req/s',
      ratio: '0.056',
      verdict: 'NOT met',
    });
    expect(latency).toMatchObject({ kgd: '268.67 ms (136.71 ms)', ratio: '6.82x' });
  });

  it('reads both parts of the deploy benchmark, or the one that ran', () => {
    const rows = deployRows(deploy);
    expect(rows.map((r) => r.ratio)).toEqual(['1.444', '0.966', '1.160']);
    expect(rows[0]!.baseline).toBe('simulated lower bound 7.37 s');
    expect(rows[2]!.kgd).toContain('peak memory 243 MB');
    const burstOnly = deploy.slice(deploy.indexOf('part 2'));
    expect(deployRows(burstOnly)).toHaveLength(1);
  });

  it('reads the SSH upload and the install phase comparisons', () => {
    expect(sshRows(ssh)[0]).toMatchObject({
      kgd: 'ssh2 217 MiB/s (217)',
      baseline: 'OpenSSH scp 102 MiB/s (93)',
      ratio: '212 % (232 %)',
      verdict: 'met',
    });
    expect(ansibleRows(ansible)[0]).toMatchObject({
      kgd: 'remote adapter 0.70 s',
      ratio: '0.141',
      verdict: 'met',
    });
  });

  it('names the benchmark and the missing line when the output changed', () => {
    expect(() => gatewayRows(gateway.replace(/^kgd serve.*$/m, ''))).toThrow(
      new ParseError('bench-gateway: no "kgd serve" line in its output'),
    );
    expect(() => deployRows('nothing')).toThrow(/neither part 1 nor part 2/);
  });

  it('renders an aligned Markdown table', () => {
    const lines = table(sshRows(ssh)).split('\n');
    expect(lines).toHaveLength(3);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[0]).toMatch(/^\| measure +\| kgd +\| baseline \(same run\) +\|/);
  });
});
