/** The dashboard's whole stylesheet: small, no build step, readable at 3 a.m. */
export const styles = `
:root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#667085; --line:#e4e7ec;
  --ok:#12805c; --bad:#c4320a; --warn:#b54708; --run:#175cd3; --idle:#667085; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--ink); }
header { background:#101828; color:#fff; padding:10px 20px; display:flex; gap:20px; align-items:center; }
header a { color:#d0d5dd; text-decoration:none; } header a.on, header a:hover { color:#fff; }
header .brand { font-weight:700; color:#fff; margin-right:10px; }
header .who { margin-left:auto; color:#98a2b3; font-size:12px; }
main { padding:18px 22px; max-width:1400px; }
h1 { font-size:20px; margin:0 0 12px; } h2 { font-size:16px; margin:22px 0 8px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; margin-bottom:14px; }
table { border-collapse:collapse; width:100%; background:var(--card); }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:12px; color:var(--muted); font-weight:600; text-transform:uppercase; letter-spacing:.03em; }
td.nowrap { white-space:nowrap; } h1 .mono { font-size:18px; }
td.mono, .mono { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12.5px; }
a { color:var(--run); }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; background:var(--idle); }
.s-ready,.s-ok,.s-succeeded { background:var(--ok); } .s-failed,.s-cleanup_failed,.s-error,.s-refused { background:var(--bad); }
.s-deploying,.s-running,.s-pending,.s-releasing { background:var(--run); } .s-frozen,.s-cancelled,.s-warn { background:var(--warn); }
.counts { display:flex; gap:8px; flex-wrap:wrap; margin-bottom:12px; }
.counts a { text-decoration:none; background:var(--card); border:1px solid var(--line); border-radius:16px; padding:3px 12px; color:var(--ink); }
.counts a.on { border-color:var(--run); box-shadow:0 0 0 1px var(--run) inset; }
form.filters { display:flex; gap:8px; flex-wrap:wrap; margin-bottom:12px; }
input, select, textarea { font:inherit; padding:5px 8px; border:1px solid #d0d5dd; border-radius:6px; background:#fff; }
button, .button { font:inherit; padding:6px 14px; border-radius:6px; border:1px solid #d0d5dd; background:#fff; cursor:pointer; text-decoration:none; color:var(--ink); display:inline-block; }
button.primary, .button.primary { background:var(--run); border-color:var(--run); color:#fff; }
button.danger, .button.danger { background:var(--bad); border-color:var(--bad); color:#fff; }
.actions { display:flex; gap:8px; margin:10px 0; }
.error { color:var(--bad); } .muted { color:var(--muted); } .flash { background:#ecfdf3; border:1px solid #abefc6; padding:8px 12px; border-radius:6px; margin-bottom:12px; }
.problem { background:#fef3f2; border:1px solid #fecdca; padding:8px 12px; border-radius:6px; margin:8px 0; }
.grid { display:grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap:4px 20px; }
.grid div span { color:var(--muted); display:inline-block; min-width:90px; }
.bar { height:8px; background:#d1e0ff; border-radius:4px; min-width:2px; } .bar.failed { background:#fda29b; }
pre.log { background:#0c111d; color:#d0d5dd; padding:10px 12px; border-radius:8px; overflow:auto; max-height:420px; font-size:12px; margin:0; }
pre.log .l-error { color:#fda29b; } pre.log .l-warn { color:#fec84b; } pre.log .l-debug { color:#98a2b3; }
label.f { display:block; margin:8px 0 2px; font-weight:600; } .form-grid { display:grid; grid-template-columns: repeat(3, minmax(180px, 1fr)); gap:0 16px; }
.live { font-size:12px; color:var(--muted); } .live::before { content:'●'; color:var(--ok); margin-right:4px; }
`;
