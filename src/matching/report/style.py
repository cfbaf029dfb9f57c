"""The report's stylesheet: readable at 1280 px and on paper (A4 or Letter).

Tables have a fixed layout at the page's width and wrap their text, so nothing
scrolls sideways; charts shrink with the page. In print the page margins come from
``@page``, rows never split across pages, table headers repeat on each page and the
folded details stay folded (each pair's one-line "why" is always printed).
"""

__all__ = ["CSS", "NOTEBOOK_CSS"]

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;max-width:1180px;padding:0 1em;
color:#222;line-height:1.45;font-size:15px}
h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:2px solid #3b6ea5;padding-bottom:.2em;margin-top:1.6em}
h3{margin:1.2em 0 .4em}.muted{color:#666;font-size:.9em}.lead{font-size:1.08em}
ul.facts{padding-left:1.2em}ul.facts li{margin:.25em 0}
table.m{border-collapse:collapse;width:100%;table-layout:fixed;font-size:.92em;margin:.5em 0}
table.m th,table.m td{border:1px solid #ccc;padding:.3em .45em;text-align:left;vertical-align:top;
overflow-wrap:anywhere;word-break:normal}
table.m th{background:#eef3f8}table.auto{table-layout:auto;width:auto;max-width:100%}
td.num,th.num{text-align:right;white-space:nowrap}
.who b{display:block}.who span{display:block;color:#555;font-size:.9em}
details.more summary{cursor:pointer;color:#3b6ea5;font-size:.88em}
details.more div{white-space:pre-wrap;font-size:.88em;margin:.3em 0;color:#333}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}.charts svg{max-width:100%;height:auto}
@media print{
 @page{margin:12mm}
 body{max-width:none;margin:0;padding:0;font-size:9pt}
 table.m th,table.m td{padding:.15em .3em}
 h2{break-after:avoid}tr,.charts svg,li{break-inside:avoid}
 thead{display:table-header-group}details.more{display:none}
 a{color:inherit;text-decoration:none}
}
"""

NOTEBOOK_CSS = ("table.mnb{border-collapse:collapse;font-size:.9em;max-width:100%}"
                "table.mnb th,table.mnb td{border:1px solid #ccc;padding:.2em .4em;text-align:left;"
                "vertical-align:top;overflow-wrap:break-word}table.mnb th{white-space:nowrap}"
                "div.mnbw{max-width:100%;overflow-x:auto}")
