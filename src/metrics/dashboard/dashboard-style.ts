/** The dashboard page's stylesheet: light and dark from the system setting, one column on a phone. */
export const DASHBOARD_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f4f6f9; --card: #ffffff; --fg: #1b2430; --muted: #5d6b7e; --line: #e2e7ee;
  --grid: #eef1f5; --accent: #2563eb; --ok: #15803d; --bad: #c2410c; --warn-bg: #fff4e5;
  --warn-fg: #8a3b00; --s1: #2563eb; --s2: #ea580c; --s3: #dc2626; --s4: #16a34a; --s5: #9333ea;
  --s6: #0891b2;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f141b; --card: #171e27; --fg: #e4e9f0; --muted: #93a1b3; --line: #273140;
    --grid: #1f2833; --accent: #60a5fa; --ok: #4ade80; --bad: #fb923c; --warn-bg: #3b2410;
    --warn-fg: #fed7aa; --s1: #60a5fa; --s2: #fb923c; --s3: #f87171; --s4: #4ade80; --s5: #c084fc;
    --s6: #22d3ee;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
header {
  display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; justify-content: space-between;
  padding: 12px 20px; background: var(--card); border-bottom: 1px solid var(--line);
}
h1 { margin: 0; font-size: 18px; font-weight: 650; }
h1 small { font-weight: 400; color: var(--muted); margin-left: 6px; font-size: 14px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; color: var(--muted); }
.meta b { color: var(--fg); font-weight: 600; font-variant-numeric: tabular-nums; }
select { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line);
  border-radius: 6px; padding: 2px 4px; }
.status { display: inline-flex; align-items: center; gap: 6px; font-weight: 600; color: var(--fg); }
.status::before { content: ""; width: 9px; height: 9px; border-radius: 50%; background: var(--muted); }
.status[data-state="live"]::before { background: var(--ok); }
.status[data-state="down"]::before { background: var(--bad); }
.banner {
  margin: 12px 20px 0; padding: 10px 14px; border-radius: 8px; background: var(--warn-bg);
  color: var(--warn-fg); border: 1px solid var(--bad); font-weight: 500;
}
main { padding: 14px 20px 28px; display: grid; gap: 14px; }
body.stale main { opacity: 0.55; }
.tiles { display: grid; gap: 10px; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 9px 12px; }
.tile span { display: block; color: var(--muted); font-size: 12px; }
.tile b { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.grid { display: grid; gap: 14px; grid-template-columns: repeat(auto-fill, minmax(min(100%, 420px), 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px;
  min-width: 0; }
.card h2 { margin: 0 0 6px; font-size: 14px; font-weight: 650; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 14px; color: var(--muted); font-size: 12px;
  min-height: 17px; }
.legend i { display: inline-block; width: 10px; height: 3px; border-radius: 2px; margin-right: 5px;
  vertical-align: middle; }
.legend b { color: var(--fg); font-weight: 600; margin-left: 4px; font-variant-numeric: tabular-nums; }
svg.chart { display: block; width: 100%; height: 150px; margin-top: 4px; overflow: visible; }
svg.chart text { fill: var(--muted); font-size: 10px; }
svg.chart .gridline { stroke: var(--grid); stroke-width: 1; }
svg.chart polyline { fill: none; stroke-width: 1.8; stroke-linejoin: round; stroke-linecap: round; }
.c1 { stroke: var(--s1); background: var(--s1); } .c2 { stroke: var(--s2); background: var(--s2); }
.c3 { stroke: var(--s3); background: var(--s3); } .c4 { stroke: var(--s4); background: var(--s4); }
.c5 { stroke: var(--s5); background: var(--s5); } .c6 { stroke: var(--s6); background: var(--s6); }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px 4px 0; border-bottom: 1px solid var(--line);
  white-space: nowrap; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.num, th.num { text-align: right; padding-right: 0; padding-left: 8px; }
td.label { white-space: normal; word-break: break-all; }
tr:last-child td { border-bottom: 0; }
.empty { color: var(--muted); font-size: 13px; padding: 6px 0; }
.bar { display: inline-block; width: 60px; height: 6px; border-radius: 3px; background: var(--grid);
  margin-left: 8px; vertical-align: middle; overflow: hidden; }
.bar i { display: block; height: 100%; background: var(--ok); }
.bad { color: var(--bad); font-weight: 600; }
@media (max-width: 600px) {
  header { padding: 10px 12px; }
  main { padding: 10px 12px 20px; }
  .banner { margin: 10px 12px 0; }
  .tiles { grid-template-columns: repeat(3, 1fr); gap: 8px; }
  .tile { padding: 7px 9px; }
  .tile span { font-size: 11px; }
  .tile b { font-size: 16px; }
}
`;
