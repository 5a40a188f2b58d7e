import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceGroup } from './stack.ts';

/** The shipped operations files: Prometheus config and alert rules, Grafana provisioning and dashboard. */
export const OPS_DIR = join(import.meta.dirname, '..', '..', 'ops');
export const ALERT_RULES = join(OPS_DIR, 'prometheus', 'alerts.yml');
export const DASHBOARD = join(OPS_DIR, 'grafana', 'dashboards', 'urna.json');

export interface PrometheusSetup {
  /** Every process of each service, as base URLs (`Stack.nodes`). */
  readonly nodes: Readonly<Record<ServiceGroup, readonly string[]>>;
  readonly ruleFiles: readonly string[];
  readonly intervalSeconds?: number;
}

/**
 * The scrape config for a launcher stack: the same jobs as ops/prometheus/prometheus.yml (one
 * per service, every process a target on its own port), with static targets instead of DNS.
 */
export function renderPrometheusConfig(setup: PrometheusSetup): string {
  const interval = `${setup.intervalSeconds ?? 5}s`;
  const jobs = Object.entries(setup.nodes)
    .filter(([, nodes]) => nodes.length > 0)
    .map(([job, nodes]) => {
      const targets = nodes.map((url) => JSON.stringify(new URL(url).host)).join(', ');
      return `  - job_name: ${job}\n    static_configs: [{ targets: [${targets}] }]`;
    });
  return [
    '# written by the urna launcher for this stack; the shipped config is ops/prometheus/prometheus.yml',
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'rule_files:',
    ...setup.ruleFiles.map((file) => `  - ${JSON.stringify(file)}`),
    'scrape_configs:',
    ...jobs,
    '',
  ].join('\n');
}

/** The shipped alert rules with every `for:` replaced (tests: seconds instead of minutes). */
export function alertRulesWithFor(duration: string): string {
  return readFileSync(ALERT_RULES, 'utf8').replace(/^(\s+for:) \S+$/gm, `$1 ${duration}`);
}

/** Every PromQL expression of the shipped Grafana dashboard, with its panel's title. */
export function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
  return dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ panel: panel.title, expr: target.expr })));
}
