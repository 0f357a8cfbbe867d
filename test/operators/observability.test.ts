import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { createMetrics } from '../../src/operators/metrics/metrics.js';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.js';
import { createSilentLogger } from '../../src/platform/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/**
 * deploy/observability/: the Prometheus alert rules and the Grafana dashboard stay true to what
 * kgd exports. Every expression parses with Prometheus's own PromQL grammar
 * (@prometheus-io/lezer-promql), every metric it names is one the service registers (histograms
 * with their _bucket/_sum/_count series), and the dashboard shows every exported metric.
 */
const dir = path.resolve(import.meta.dirname, '../../deploy/observability');
/** Series Prometheus itself writes for every scrape target. */
const scrapeSeries = new Set(['up']);
let testDb: TestDatabase;
let database: DatabaseHandle;
const exported = new Map<string, string>(); // series name → the metric it belongs to

beforeAll(async () => {
  testDb = await createTestDatabase('kgd_observability');
  database = await openDatabase({ url: testDb.url, poolSize: 2, logger: createSilentLogger() });
  const registry = new Registry();
  createMetrics({ registry, db: database.db });
  // A real scrape: the gauges read from the database, as /metrics does.
  expect(await registry.metrics()).toContain('# TYPE kgd_deployments gauge');
  for (const m of registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    exported.set(name, name);
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) exported.set(`${name}${suffix}`, name);
  }
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

/** Parses a PromQL expression; returns the metric names it selects, or throws naming the error. */
function metricsIn(expr: string): string[] {
  const tree = parser.parse(expr);
  const names: string[] = [];
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError) error ??= node.from;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector')
        names.push(expr.slice(node.from, node.to));
    },
  });
  if (error !== undefined) throw new Error(`does not parse at ${error}: ${expr}`);
  return names;
}

describe('deploy/observability', () => {
  it('alert rules: each parses, names exported metrics, has a severity, a summary and a runbook', () => {
    const doc = YAML.parse(readFileSync(path.join(dir, 'kgd-alerts.rules.yml'), 'utf8')) as {
      groups: Array<{
        name: string;
        rules: Array<{
          alert: string;
          expr: string;
          labels?: { severity?: string };
          annotations?: { summary?: string; runbook?: string };
        }>;
      }>;
    };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(5);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      const names = metricsIn(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names)
        expect(exported.has(name) || scrapeSeries.has(name), `${rule.alert}: ${name}`).toBe(true);
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.runbook, rule.alert).toBeTruthy();
    }
  });

  it('dashboard: each query parses and names exported metrics; every exported metric is shown', () => {
    const dashboard = JSON.parse(readFileSync(path.join(dir, 'kgd-dashboard.json'), 'utf8')) as {
      uid: string;
      panels: Array<{ id: number; title: string; targets: Array<{ expr: string }> }>;
    };
    expect(dashboard.uid).toBe('kgd-overview');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    const shown = new Set<string>();
    for (const panel of dashboard.panels) {
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets) {
        for (const name of metricsIn(expr)) {
          expect(exported.has(name), `${panel.title}: ${name}`).toBe(true);
          shown.add(exported.get(name)!);
        }
      }
    }
    expect([...new Set(exported.values())].filter((m) => !shown.has(m))).toEqual([]);
  });

  it('the check itself refuses a broken expression and an unknown metric', () => {
    expect(() => metricsIn('sum(rate(kgd_marketplace_calls_total[5m]) >')).toThrow(
      /does not parse/,
    );
    expect(metricsIn('rate(kgd_no_such_metric_total[5m])').filter((n) => !exported.has(n))).toEqual(
      ['kgd_no_such_metric_total'],
    );
  });
});
