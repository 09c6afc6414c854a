//! The one stylesheet every page inlines, and its SHA-256 (the `style-src` source of the
//! `Content-Security-Policy`; `page/tests/style.rs` proves it with the `openssl` CLI).

/// The base64 SHA-256 of [`CSS`]: the one constant, a literal so the policy is built with
/// `concat!`.
macro_rules! css_sha256 {
    () => {
        "VFIhVy2XbbDofRc1dRyKwiVpsmXYLOGNsZQXcM+nqqY="
    };
}
pub(super) use css_sha256;

/// The stylesheet: light by default, dark under `prefers-color-scheme: dark`; SVG is coloured
/// through classes (`p`, `w`, `f`, `e`), never `style` attributes.
pub(super) const CSS: &str = "\
:root{color-scheme:light dark;--bg:#f5f6f8;--fg:#1c2229;--mute:#5f6b78;--card:#fff;--line:#e1e5ea;\
--pass:#1e9e57;--warn:#d48806;--fail:#d9434b;--none:#a3acb6;--empty:#e9ecf0;--link:#2c6bd6;--on:#fff}
@media (prefers-color-scheme:dark){:root{--bg:#0f1317;--fg:#e2e6eb;--mute:#95a0ac;--card:#181d23;\
--line:#29313a;--pass:#38b56c;--warn:#e0a237;--fail:#ef5f66;--none:#66717d;--empty:#232a32;--link:#79a6ff;--on:#0f1317}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);\
font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,Helvetica,Arial,sans-serif}
header,main,footer{max-width:1120px;margin:0 auto;padding:0 16px}
header{display:flex;flex-wrap:wrap;align-items:center;gap:6px 12px;padding-top:20px}
h1{font-size:22px;margin:0;overflow-wrap:anywhere}
h1 small{font-size:14px;font-weight:400;color:var(--mute)}
h2{font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.06em;color:var(--mute);margin:22px 0 8px}
h3{font-size:15px;margin:0;overflow-wrap:anywhere}
.meta{flex-basis:100%;margin:0;color:var(--mute);font-size:13px}
a{color:var(--link);text-decoration:none}
a:hover{text-decoration:underline}
.badge{display:inline-block;min-width:48px;padding:1px 8px;border-radius:10px;background:var(--none);\
color:var(--on);font-size:12px;font-weight:600;text-align:center;white-space:nowrap}
.badge.pass{background:var(--pass)}
.badge.warn{background:var(--warn)}
.badge.fail{background:var(--fail)}
header .badge{font-size:14px;padding:2px 12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
.pills{display:flex;flex-wrap:wrap;gap:8px;margin:0;padding:0;list-style:none}
.pills li{display:flex;align-items:center;gap:8px;padding:5px 10px;background:var(--card);\
border:1px solid var(--line);border-radius:8px}
.pills b{font-size:18px;font-variant-numeric:tabular-nums}
.check{padding:10px 14px;border-top:1px solid var(--line)}
.check:first-child{border-top:0}
.head{display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px}
.tag{padding:0 6px;border:1px solid var(--line);border-radius:4px;color:var(--mute);font-size:11px}
.sub{margin-left:auto;color:var(--mute);font-size:12px;font-variant-numeric:tabular-nums}
.reason{margin:6px 0 0;color:var(--mute);font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;\
white-space:pre-wrap;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:0 12px;margin:6px 0 0;font-size:12px}
dt{color:var(--mute)}
dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.charts{display:grid;grid-template-columns:3fr 2fr;gap:4px 16px;margin-top:8px;align-items:end}
.charts svg{display:block;width:100%}
.charts small{display:flex;justify-content:space-between;color:var(--mute);font-size:11px}
@media (max-width:640px){.charts{grid-template-columns:1fr}.sub{margin-left:0}}
.p{fill:var(--pass)}
.w{fill:var(--warn)}
.f{fill:var(--fail)}
.e{fill:var(--empty)}
rect:hover{opacity:.65}
polyline{fill:none;stroke:var(--link);stroke-width:1.5;stroke-linejoin:round}
.scroll{overflow-x:auto}
table{width:100%;border-collapse:collapse}
th,td{padding:7px 12px;border-top:1px solid var(--line);text-align:left;vertical-align:top}
thead th{border-top:0;color:var(--mute);font-size:12px;font-weight:600;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.t{white-space:nowrap;font-variant-numeric:tabular-nums}
.mute,.none{color:var(--mute)}
.bad{color:var(--fail)}
.ok{color:var(--pass)}
.meh{color:var(--warn)}
footer{margin-top:24px;padding-bottom:24px;color:var(--mute);font-size:12px}
";
