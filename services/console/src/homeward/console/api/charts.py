"""Charts drawn on the server as SVG: no script, nothing for the CSP to allow, readable
without the chart (each page puts the same numbers in a table beside it)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

SMALL = "<5"  # a count the API suppresses: drawn as such, never as a guessed number
ROW, LABEL_WIDTH, BAR_WIDTH = 28, 320, 300
OPEN = Markup(
    '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {} {}" '
    'width="100%" aria-labelledby="chart-title"><title id="chart-title">{}</title>'
    '<defs><pattern id="small" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="3" height="6" fill="#505a5f"/></pattern></defs>'
)
BAR = Markup(
    '<text x="{}" y="{}" text-anchor="end" font-size="14" fill="#0b0c0c">{}</text>'
    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
    '<text x="{}" y="{}" font-size="14" fill="#0b0c0c">{}</text>'
)


def bar_chart(rows: Sequence[tuple[str, int | str]], *, title: str) -> Markup:
    """Horizontal bars, one per (label, count); a "<5" count is a hatched stub marked "<5"."""
    top = max([*(count for _, count in rows if isinstance(count, int)), 5])
    chart = OPEN.format(LABEL_WIDTH + BAR_WIDTH + 60, ROW * len(rows) + 10, title)
    for i, (label, count) in enumerate(rows):
        y = i * ROW + 5
        small = not isinstance(count, int)
        bar = max(5 * BAR_WIDTH // (2 * top) if small else int(count) * BAR_WIDTH // top, 2)
        chart += BAR.format(
            LABEL_WIDTH - 8, y + 17, label,
            LABEL_WIDTH, y + 3, bar, ROW - 8, "url(#small)" if small else "#1d70b8",
            LABEL_WIDTH + bar + 6, y + 17, SMALL if small else count,
        )  # fmt: skip
    return chart + Markup("</svg>")
