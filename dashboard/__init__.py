"""The shared dashboard: the scorecard, its trends and the live rep board on one page.

One renderer (`dashboard.page.render_page`) for both ways to get the page: the worker
serves it live at `/` (`dashboard.live`), `leadflow scorecard --html FILE` writes it for a
replayed stream. `dashboard.fragment.headline_html` renders the headline rows alone (the
weekly email reuses it). See docs/dashboard.md.
"""
