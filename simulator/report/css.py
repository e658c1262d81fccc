"""The page's inline style sheet (no web fonts, no external files)."""

CSS = """
:root { --ink: #1f2328; --muted: #57606a; --ok: #1a7f37; --bad: #c0392b; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       color: var(--ink); background: #f6f8fa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 0; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
          padding: 16px 20px; margin: 18px 0; }
section h2 { margin: 0 0 10px; font-size: 19px; }
.banner { border-radius: 8px; padding: 14px 18px; margin: 16px 0; font-size: 16px; }
.banner.unstable { background: #8b1a10; color: #fff; font-size: 18px;
                   border: 4px solid #3d0a05; box-shadow: 0 2px 8px rgba(0, 0, 0, 0.25); }
.banner.warnings { background: #fff8c5; border: 1px solid #d4a72c; }
.banner ul { margin: 6px 0 0; padding-left: 22px; }
.verdict { border-radius: 8px; padding: 14px 18px; margin: 16px 0; color: #fff; }
.verdict h2 { margin: 0 0 4px; font-size: 22px; }
.verdict ul, .verdict p { margin: 4px 0 0; }
.verdict.ok { background: var(--ok); }
.verdict.bad { background: var(--bad); }
.verdict.unknown { background: #6e7781; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr));
        gap: 12px; margin: 16px 0; }
.kpi { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.kpi .value { font-size: 24px; font-weight: 700; }
.kpi .label { color: var(--muted); font-size: 13px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
@media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
figure { margin: 8px 0; }
img.plot { display: block; width: 100%; height: auto; }
table { border-collapse: collapse; margin: 10px 0; font-size: 13.5px; width: 100%; }
table.facts { width: auto; min-width: 60%; }
.grid2 table.facts { width: 100%; }
caption { text-align: left; color: var(--muted); padding-bottom: 6px; caption-side: top; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: right; }
td { white-space: nowrap; }
th[scope=row], thead th:first-child { text-align: left; }
thead th { background: #f0f3f6; font-weight: 600; }
.missing { color: var(--muted); font-style: italic; }
.scroll { overflow-x: auto; }
footer { color: var(--muted); font-size: 13px; margin-top: 24px; }
"""
