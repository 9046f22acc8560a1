"""The README is a user's page that points into the documentation (issue #24)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_a_short_users_page():
    assert len(README.splitlines()) <= 170  # issue #24: "at most 170 lines"


def test_every_file_the_readme_links_to_exists():
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert links  # the documentation is linked, not copied
    assert [link for link in links if not (ROOT / link).exists()] == []


def test_every_documentation_page_is_in_the_site_index():
    """A page that no toctree names is built with a warning, which `make docs` refuses; this
    says which page, without Sphinx."""
    docs = ROOT / "docs"
    index = (docs / "index.md").read_text(encoding="utf-8")
    pages = [p.relative_to(docs).with_suffix("").as_posix() for p in docs.rglob("*.md")
             if "_build" not in p.parts and p.name != "index.md"]
    assert [page for page in pages if page not in index] == []
