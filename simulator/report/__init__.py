"""The simulator's HTML pages.

- ``render_html(result)`` / ``write_html(result, path)``: the report of one simulation;
  ``result`` is the dict the simulator writes as JSON (fields in docs/simulator.md).
- ``render_staff_html(found)`` / ``write_staff_html``: a staffing search (`leadflow staff`).
- ``render_compare_html(results)`` / ``write_compare_html``: scenarios side by side
  (`leadflow compare`), ``results`` mapping each scenario's name to its result.

Any field may be absent, and the page then says "not measured" where it would have shown it.
"""

from simulator.report.compare_page import render_compare_html, write_compare_html
from simulator.report.html import render_html, write_html
from simulator.report.staff_page import render_staff_html, write_staff_html

__all__ = [
    "render_compare_html",
    "render_html",
    "render_staff_html",
    "write_compare_html",
    "write_html",
    "write_staff_html",
]
