"""The simulator's HTML report: ``render_html(result)`` and ``write_html(result, path)``.

``result`` is the dict the simulator writes as JSON (fields in docs/simulator.md); any
field may be absent, and the page then says "not measured" where it would have shown it.
"""

from simulator.report.html import render_html, write_html

__all__ = ["render_html", "write_html"]
