"""report.html rendered by a real browser (headless Chromium): what a reader sees.

Skipped when no ``chromium`` is on PATH (``.ci/run`` installs Debian's package when apt is
available). Each browser call is a separate ``chromium --headless`` process with its own
throw-away profile; nothing goes to the network (the page is self-contained).
"""

from __future__ import annotations

import base64
import re
import io
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from bayeshcc.cohort import Cohort
from bayeshcc.pipeline import RunOptions, run_analysis
from bayeshcc.spec import spec_from_text
from tests.conftest import SMALL_SPEC, make_small_frame
from tests.report.test_report_summary import visible_text, write_bayes_results

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="no chromium on PATH (apt-get install chromium)")

EVIL = "<script>alert(1)</script>"
SECTIONS = ["Summary", "Sensitivity at a glance", "Study tables", "Posterior tables",
            "Diagnostics", "Propensity model and balance", "Model comparison (LOO)",
            "Methods and limitations", "Specification and versions"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


class Page(HTMLParser):
    """The parts of a DOM the tests look at: headings, tables, images, script tags, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.headings: dict[str, list[str]] = {"h1": [], "h2": [], "h3": []}
        self.tables: dict[str, list[list[str]]] = {}  # preceding h3 -> rows of cell texts
        self.images: list[str] = []
        self.scripts = 0
        self._h: str | None = None
        self._last_h3 = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in self.headings:
            self._h = tag
            self.headings[tag].append("")
        elif tag == "script":
            self.scripts += 1
        elif tag == "img":
            self.images.append(dict(attrs).get("src", ""))
        elif tag == "table":
            self.tables[self._last_h3] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == self._h:
            if tag == "h3":
                self._last_h3 = self.headings["h3"][-1]
            self._h = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._last_h3].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._h:
            self.headings[self._h][-1] += data
        if self._cell is not None:
            self._cell.append(data)


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, timeout=60, check=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A results folder (no Bayesian fits) whose treated arm and a covariate are named EVIL."""
    frame = make_small_frame(n=60).rename(columns={"age": EVIL})
    frame["arm"] = frame["arm"].replace({"new": EVIL})
    text = (SMALL_SPEC.replace('treated = "new"', f'treated = "{EVIL}"')
            .replace('age = "numeric"', f'"{EVIL}" = "numeric"')
            .replace('["age", "stage"]', f'["{EVIL}", "stage"]'))
    out = tmp_path_factory.mktemp("browser") / "results"
    run_analysis(Cohort.from_dataframe(frame, spec_from_text(text)), out,
                 options=RunOptions(bayes=False, quiet=True))
    return out


@pytest.fixture(scope="module")
def url(folder) -> str:
    return (folder / "report.html").resolve().as_uri()


@pytest.fixture(scope="module")
def dom(folder, url) -> str:
    return _chromium(folder.parent, "--dump-dom", url).stdout.decode("utf-8")


@pytest.fixture(scope="module")
def page(dom) -> Page:
    return Page(dom)


def test_every_section_heading_is_rendered(page):
    assert [h for h in page.headings["h2"] if h in SECTIONS] == SECTIONS


def test_survival_table_shows_both_arms(page):
    header, *rows = page.tables["Table 3. Kaplan-Meier medians"]
    arm, cohort = header.index("arm"), header.index("cohort")
    whole = [row for row in rows if row[cohort] == "unadjusted"]
    assert sorted(row[arm] for row in whole) == sorted([EVIL, "old"])
    assert [row[header.index("n")] for row in whole] == ["30", "30"]


def test_every_image_is_an_embedded_png_that_decodes(page):
    import matplotlib.image as mpimg

    assert len(page.images) >= 2  # Kaplan-Meier and Cox forest plots
    for src in page.images:
        assert src.startswith("data:image/png;base64,")  # no Bayesian run: no SVG summary figures
        pixels = mpimg.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
        assert pixels.shape[0] > 100 and pixels.shape[1] > 100


def test_names_from_the_data_are_text_not_markup(page, dom):
    """The treated arm and a covariate are called <script>alert(1)</script>: the browser
    shows them as text in the tables and parses no script element."""
    assert page.scripts == 0
    cells = [cell for rows in page.tables.values() for row in rows for cell in row]
    assert cells.count(EVIL) >= 4  # baseline label, survival arm, Cox term, RMST arm
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom


def test_screenshot_is_a_non_trivial_picture(folder, url):
    import matplotlib.image as mpimg

    shot = folder.parent / "report.png"
    _chromium(folder.parent, f"--screenshot={shot}", "--window-size=1280,3000", url)
    assert shot.stat().st_size > 20_000
    pixels = mpimg.imread(shot)[..., :3]
    colours = np.unique((pixels.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
    assert len(colours) > 100  # text, table rules and the plots' colours, not a blank page
    assert pixels.std() > 0.05


def test_print_to_pdf_gives_a_pdf(folder, url):
    pdf = folder.parent / "report.pdf"
    _chromium(folder.parent, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000


# --- a Bayesian run: the summary a clinician reads first (issue 16) ----------------------------

@pytest.fixture(scope="module")
def bayes_folder(tmp_path_factory) -> Path:
    from bayeshcc.report import write_report

    folder = write_bayes_results(tmp_path_factory.mktemp("browser-bayes"))
    write_report(folder)
    return folder


@pytest.fixture(scope="module")
def bayes_dom(bayes_folder) -> str:
    url = (bayes_folder / "report.html").resolve().as_uri()
    return _chromium(bayes_folder.parent, "--dump-dom", url).stdout.decode("utf-8")


def test_browser_shows_the_summary_of_both_outcomes_first(bayes_dom):
    text = visible_text(bayes_dom)[:2500]
    for label in ("overall survival", "progression-free survival"):
        assert (f"lowers the hazard of {label} compared with olddrug: 99% (primary analysis, "
                "adjustment: ate)") in text
        assert (f"Robustness within the primary estimand (marginal HR (ATE)): P(benefit) > 95% "
                f"in 2 of 4 analyses of {label}") in text
    assert text.count("Difference in median survival (newdrug minus olddrug): 4.3 months "
                      "(95% credible interval 0.5 to 8.0 months") == 2


def test_browser_renders_the_sensitivity_forest_and_the_summary_densities(bayes_dom):
    page = Page(bayes_dom)
    assert '<figure id="sensitivity-forest"><img src="data:image/svg+xml;base64,' in bayes_dom
    svgs = [src for src in page.images if src.startswith("data:image/svg+xml;base64,")]
    assert len(svgs) == 3  # the forest and one posterior density per outcome
    for src in svgs:
        assert base64.b64decode(src.split(",", 1)[1]).lstrip().startswith(b"<?xml")


def test_bayesian_report_prints_to_a4_pages_with_a_break_per_section(bayes_folder):
    import re

    url = (bayes_folder / "report.html").resolve().as_uri()
    pdf = bayes_folder.parent / "bayes-report.pdf"
    _chromium(bayes_folder.parent, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = re.findall(rb"/Type\s*/Page[^s]", data)
    assert len(pages) >= len(SECTIONS)  # every major section starts a new page
    boxes = {tuple(round(float(v)) for v in box.split()) for box in
             re.findall(rb"/MediaBox\s*\[([^\]]+)\]", data)}
    # A4 in points: portrait, and landscape for the tables of more than 10 columns
    assert (0, 0, 595, 842) in boxes and boxes <= {(0, 0, 595, 842), (0, 0, 842, 595)}


GLANCE_PROBE = """<script>
document.body.dataset.glance = Array.from(document.querySelectorAll("table.glance")).map(t => {
  const words = t.closest(".words").getBoundingClientRect();
  const box = t.getBoundingClientRect();
  return [t.rows.length, t.rows[0].cells.length, t.scrollWidth <= t.parentElement.clientWidth,
          box.right <= words.right + 0.5].join(",");
}).join(";");
</script>"""


def test_the_summary_table_of_each_outcome_fits_in_its_column(bayes_folder):
    """The per-arm table sits in the summary's text column beside the density figure, on a
    laptop-wide window, without a horizontal scroll bar (a copy of the report carries a
    measuring script; the report itself has none)."""
    probe = bayes_folder.parent / "glance-probe.html"
    html = (bayes_folder / "report.html").read_text(encoding="utf-8")
    probe.write_text(html.replace("</body>", GLANCE_PROBE + "</body>"), encoding="utf-8")
    dom = _chromium(bayes_folder.parent, "--window-size=1280,2000", "--dump-dom",
                    probe.resolve().as_uri()).stdout.decode("utf-8")
    measured = re.search(r'data-glance="([^"]*)"', dom).group(1).split(";")
    assert len(measured) == 2  # one table per outcome
    for rows, columns, no_scroll, inside in (m.split(",") for m in measured):
        assert int(rows) >= 3 and columns == "4"  # header, median, RMST; arms and difference
        assert no_scroll == "true" and inside == "true"


TABLE_PROBE = """<script>
document.body.dataset.tables = Array.from(document.querySelectorAll(".table-wrap > table")).map(t => {
  const wrap = t.parentElement;
  return [t.id, t.rows[0].cells.length, t.scrollWidth <= wrap.clientWidth + 1,
          wrap.getBoundingClientRect().right <= document.body.getBoundingClientRect().right + 1
         ].join(",");
}).join(";") + "|" + (document.documentElement.scrollWidth <= window.innerWidth);
</script>"""


def _tables_at(folder: Path, width: int, print_css: bool = False) -> tuple[list, str]:
    """Per table of the report at a window ``width`` px wide: id, columns, whether it fits its
    box, whether its box ends inside the page; and whether the page scrolls sideways. With
    ``print_css`` the print rules apply on screen (the A4 page's 186 mm content: 703 px)."""
    html = (folder / "report.html").read_text(encoding="utf-8")
    if print_css:
        html = html.replace("@media print {", "@media all {")
    probe = folder.parent / f"tables-probe-{width}.html"
    probe.write_text(html.replace("</body>", TABLE_PROBE + "</body>"), encoding="utf-8")
    dom = _chromium(folder.parent, f"--window-size={width},2000", "--dump-dom",
                    probe.resolve().as_uri()).stdout.decode("utf-8")
    tables, page_fits = re.search(r'data-tables="([^"]*)"', dom).group(1).split("|")
    return [m.split(",") for m in tables.split(";")], page_fits


def test_tables_wrap_to_fit_a_1280_px_window_and_the_widest_scroll_in_their_box(bayes_folder):
    """Issue #26: wide tables were cut off at 1280 px. Text and headings now wrap; a table of
    more than 20 columns may still be wider than the page, and scrolls inside its own box."""
    tables, page_fits = _tables_at(bayes_folder, 1280)
    assert len(tables) >= 5 and page_fits == "true"
    for name, columns, fits, inside in tables:
        assert inside == "true", name
        if int(columns) <= 20:
            assert fits == "true", f"{name} ({columns} columns) is wider than the page"


def test_tables_of_up_to_10_columns_fit_the_width_of_an_a4_page(bayes_folder):
    tables, _ = _tables_at(bayes_folder, 703, print_css=True)
    narrow = [t for t in tables if int(t[1]) <= 10]
    assert narrow and all(fits == "true" for _, _, fits, _ in narrow), narrow
