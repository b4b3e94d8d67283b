/**
 * deploy/grafana/dashboard.json as tests need it: its panels and every PromQL query in them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './project-root.js';

export const DASHBOARD_PATH = join(PROJECT_ROOT, 'deploy/grafana/dashboard.json');

export interface DashboardTarget {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
  /** Grafana draws the exemplars of the queried series as points on the graph. */
  exemplar?: boolean;
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
}

export interface DashboardQuery {
  panel: string;
  refId: string;
  expr: string;
}

export interface Dashboard {
  json: {
    uid: string;
    schemaVersion: number;
    templating: { list: Array<{ name: string; [key: string]: unknown }> };
  };
  /** Every panel, rows included; a collapsed row carries its children in `panels`. */
  panels: DashboardPanel[];
  /** The panels that query, i.e. all but rows. */
  queryPanels: DashboardPanel[];
  /** Every target's expression, in panel order; an empty one is kept as ''. */
  queries: DashboardQuery[];
}

export function loadDashboard(path = DASHBOARD_PATH): Dashboard {
  const json = JSON.parse(readFileSync(path, 'utf8'));
  const panels = (json.panels as DashboardPanel[]).flatMap((p) => [p, ...(p.panels ?? [])]);
  const queryPanels = panels.filter((p) => p.type !== 'row');
  const queries = queryPanels.flatMap((panel) =>
    (panel.targets ?? []).map((target, i) => ({
      panel: panel.title,
      refId: target.refId ?? String(i),
      expr: target.expr ?? '',
    })),
  );
  return { json, panels, queryPanels, queries };
}

/**
 * A dashboard query as Prometheus gets it from Grafana, with `$__rate_interval` resolved to a fixed
 * window (Grafana picks at least four scrape intervals).
 */
export function resolveGrafanaVariables(expr: string, rateInterval = '1m'): string {
  return expr.replace(/\$__rate_interval/g, rateInterval);
}
