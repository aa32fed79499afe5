"""What every report PDF shares, in reportlab: the one place geometry, fonts, colours and styles are set
(style.py), text flowables and section headings (flowables.py), tables and the blocks built of them (tables.py),
and the document with its running header, footer, "Page X of Y" and UNSIGNED DRAFT watermark (document.py).

The per-report renderers (render_challenge.py, render_sheets.py, render_summary.py, and challenges.outcomes.render)
read only a snapshot and call `document.build_pdf`, which returns the PDF bytes.

reportlab's settings are made here, in the package every one of those modules is imported through, so they hold
before any report (or the chart, chart.py) is drawn.
"""

from reportlab import rl_config

# Page streams compressed and written as binary, not also ASCII85-encoded as text (reportlab's default): a quarter
# smaller, and the encoding was a tenth of a report's build time (bench/README.md). Every PDF reader takes binary.
rl_config.useA85 = 0
# The chart's shapes are not type-checked on every attribute set (reportlab's development aid: a fifth of the
# time spent building a report's flowables); the chart's tests read its drawing back instead (tests/reports).
rl_config.shapeChecking = 0
