"""The documentation builds offline, with warnings as errors, from the current code."""

from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_build_without_warnings(tmp_path):
    sphinx_build = pytest.importorskip("sphinx.cmd.build")
    status = sphinx_build.build_main(["-W", "--keep-going", "-q", "-b", "html",
                                      "-d", str(tmp_path / "doctrees"), str(DOCS),
                                      str(tmp_path / "html")])
    assert status == 0
    assert (tmp_path / "html" / "index.html").stat().st_size > 0


def test_every_mechanism_has_a_docs_page():
    import grokdelay as gd

    pages = {p.stem for p in (DOCS / "mechanisms").glob("*.rst")}
    missing = [m for m in gd.mechanisms() if m not in pages]
    assert not missing, f"no docs/mechanisms/<name>.rst for {missing}"
    for m in gd.mechanisms():
        text = (DOCS / "mechanisms" / f"{m}.rst").read_text()
        assert f".. mechanism-fields:: {m}" in text, f"{m}.rst: render the field table"


def test_every_closed_form_is_rendered_from_its_symbolic_law():
    # a mechanism with a closed form shows it from grokdelay._symbolic, not retyped
    import grokdelay as gd
    from grokdelay._symbolic import methods_with_laws

    for m in gd.mechanisms():
        if methods_with_laws(m):
            text = (DOCS / "mechanisms" / f"{m}.rst").read_text()
            assert f".. mechanism-laws:: {m}" in text, f"{m}.rst: render the closed forms"
