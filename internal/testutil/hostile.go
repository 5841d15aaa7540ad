package testutil

// HostileHTML is a summary from a source that tries everything a page
// could run or load: scripts, event handlers, javascript:, vbscript: and
// data: URLs in their disguises, SVG, MathML mutation, frames, forms,
// styles, base and refresh. The public pages and the desk are tested with
// it: none of it may run or load anywhere.
const HostileHTML = `<p>Docker 1.12 内置编排。<script>alert("script")</script></p>
<img src="x" onerror="alert('onerror')"><img src="/logo.png" alt="logo">
<a href="javascript:alert('js')">js</a> <a href="JaVaScRiPt:alert(1)">mixed case</a>
<a href="&#106;avascript:alert(1)">entity</a> <a href="java&#x09;script:alert(1)">tab</a>
<a href=" javascript:alert(1)">space</a> <a href="vbscript:msgbox(1)">vb</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>
<a href="/relative/path">relative</a> <a href="https://example.com/ok" onclick="alert(1)" onmouseover="x()">ok</a>
<svg onload="alert(1)"><a xlink:href="javascript:alert(1)">svg</a></svg>
<iframe src="https://evil.example/"></iframe><object data="x.swf"></object><embed src="x.swf">
<form action="https://evil.example/"><input name="q"></form><style>body{display:none}</style>
<div style="background:url(javascript:alert(1))">styled</div><meta http-equiv="refresh" content="0;url=javascript:alert(1)">
<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')></style></mglyph></table></mtext></math>
<base href="javascript:alert(1)//"><link rel="stylesheet" href="https://evil.example/x.css">
<details open ontoggle="alert(1)">toggle</details><video><source onerror="alert(1)"></video>`
