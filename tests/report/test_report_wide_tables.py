"""Wide tables fit the page or wrap (issue #26: they were cut off at 1280 px): the report marks
tables of more than 10 columns, lets headings break after an underscore, and its stylesheet
wraps text, keeps numbers whole, scrolls what cannot fit inside its own box and prints wide
tables on landscape A4. The browser measurements are in test_report_browser.py."""

from __future__ import annotations

import re

from bayeshcc.report import build_report
from tests.report.test_report_html import folder  # noqa: F401 (fixture)


def _table(html: str, key: str) -> str:
    start = html.rindex("<div", 0, html.index(f'<table id="table-{key}"'))
    return html[start:html.index("</table>", start)]


def test_a_table_of_more_than_10_columns_is_marked_wide_and_a_narrower_one_is_not(folder):  # noqa: F811
    html = build_report(folder)
    wide, narrow = _table(html, "posterior_hr"), _table(html, "survival")
    headings = lambda t: re.findall(r"<th[ >]", t)  # noqa: E731
    assert len(headings(wide)) > 10 >= len(headings(narrow))
    assert wide.startswith('<div class="table-wrap wide"><table id="table-posterior_hr" class="wide">')
    assert narrow.startswith('<div class="table-wrap"><table id="table-survival">')


def test_headings_may_break_after_an_underscore_and_read_the_same(folder):  # noqa: F811
    table = _table(build_report(folder), "posterior_hr")
    assert '<th class="num">prob_<wbr>hr_<wbr>below_<wbr>1</th>' in table
    texts = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table)]
    assert "prob_hr_below_1" in texts and "hr_median" in texts


def _css(html: str) -> tuple[str, str]:
    css = html[html.index("<style>"):html.index("</style>")]
    screen, printed = css.split("@media print {")
    return screen, printed


def test_the_stylesheet_wraps_cells_keeps_numbers_whole_and_scrolls_what_cannot_fit(folder):  # noqa: F811
    screen, _ = _css(build_report(folder))
    assert re.search(r"th, td \{ white-space: normal; overflow-wrap: break-word; \}", screen)
    assert "td.num { white-space: nowrap; }" in screen
    assert re.search(r"\.table-wrap \{ overflow-x: auto; max-width: 100%;", screen)
    assert "table { border-collapse: collapse; font-size: .8em; table-layout: auto; }" in screen
    assert "td { white-space: nowrap; }" not in screen  # what cut the tables off


def test_wide_tables_print_on_landscape_a4_pages(folder):  # noqa: F811
    screen, printed = _css(build_report(folder))
    assert "@page wide { size: A4 landscape;" in screen
    assert ".table-wrap.wide { page: wide; }" in printed and ".table-wrap { overflow: visible; }" in printed
