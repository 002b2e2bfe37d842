"""The documentation builds offline, with warnings as errors, from the current code.

One build per test session (module fixture): the tutorial notebook is executed by that
build, so its outputs are checked here too.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from sphinx.cmd.build import build_main

    out = tmp_path_factory.mktemp("docs")
    status = build_main(["-W", "--keep-going", "-q", "-b", "html", "-d", str(out / "doctrees"),
                         str(DOCS), str(out / "html")])
    assert status == 0, "sphinx -W failed: see the warnings above"
    return out / "html"


class _Resources(HTMLParser):
    """Every URL a page makes the browser load by itself (not the links a reader follows)."""

    def __init__(self):
        super().__init__()
        self.loads: list[tuple[str, str]] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            if a.get("src"):
                self.loads.append((tag, a["src"]))
            else:
                self._in_script = True
        elif tag in ("img", "iframe", "audio", "video", "source", "embed") and a.get("src"):
            self.loads.append((tag, a["src"]))
        elif tag == "link" and a.get("href") and a.get("rel") not in (
                "index", "search", "next", "prev", "top", "up", "canonical"):
            self.loads.append((tag, a["href"]))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts.append(data)


def _resources(page: Path) -> _Resources:
    p = _Resources()
    p.feed(page.read_text(encoding="utf-8"))
    return p


def test_docs_build_without_warnings(built):
    assert (built / "index.html").stat().st_size > 0


def test_pages_load_nothing_remote(built):
    pages = sorted(built.rglob("*.html"))
    assert len(pages) > 10
    remote = []
    for page in pages:
        p = _resources(page)
        remote += [f"{page.relative_to(built)}: <{tag}> {url}" for tag, url in p.loads
                   if REMOTE.match(url)]
        # a loader written inline (document.createElement('script').src = "https://...")
        remote += [f"{page.relative_to(built)}: inline script loads {m}"
                   for s in p.inline_scripts for m in re.findall(r"https?://[^\s'\"]+", s)]
    assert not remote, "remote resources:\n" + "\n".join(remote)


def test_equations_render_with_the_shipped_mathjax(built):
    page = built / "mechanisms" / "kramers.html"
    text = page.read_text(encoding="utf-8")
    assert r"\(" in text or r"\[" in text  # the page has math for MathJax to typeset
    scripts = [url for tag, url in _resources(page).loads if tag == "script"]
    mathjax = [u for u in scripts if "mathjax" in u.lower()]
    assert mathjax, f"no MathJax script on {page.name}: {scripts}"
    for url in mathjax:
        local = (page.parent / url.split("?")[0]).resolve()
        assert local.is_file() and local.stat().st_size > 100_000, local
    # the fonts MathJax's CHTML output asks for are there too (it resolves them next to
    # its own script)
    fonts = list((built / "_static" / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))
    assert len(fonts) > 10


def test_tutorial_is_rendered_with_its_outputs(built):
    text = (built / "tutorial.html").read_text(encoding="utf-8")
    # the executed cells' outputs: the HTML reprs, the figures (embedded or as files)
    assert "grokdelay-repr" in text and "DelayPrediction" in text
    assert "constant: " in text  # the sweep table, constant columns folded
    # the real-run part: a diagnosis table, a calibration, a refusal, a cross-validation
    assert "Calibration of first_passage" in text and "does not apply" in text
    assert "cross-validation: " in text and "seed-noise floor" in text
    images = [url for tag, url in _resources(built / "tutorial.html").loads if tag == "img"]
    assert len(images) >= 3
    for url in images:
        if not url.startswith("data:"):
            assert (built / url).is_file(), url
    assert "Traceback" not in text and "Error" not in text.replace("ParameterError", "")


def test_every_mechanism_has_a_docs_page():
    import grokdelay as gd

    pages = {p.stem for p in (DOCS / "mechanisms").glob("*.rst")}
    missing = [m for m in gd.mechanisms() if m not in pages]
    assert not missing, f"no docs/mechanisms/<name>.rst for {missing}"
    for m in gd.mechanisms():
        text = (DOCS / "mechanisms" / f"{m}.rst").read_text()
        assert f".. mechanism-fields:: {m}" in text, f"{m}.rst: render the field table"


def test_every_mechanism_page_shows_a_figure(built):
    import grokdelay as gd

    for m in gd.mechanisms():
        page = built / "mechanisms" / f"{m}.html"
        images = [url for tag, url in _resources(page).loads if tag == "img"]
        assert images, f"docs/mechanisms/{m}.rst shows no figure (.. example-figure:: NAME)"
        for url in images:
            assert (page.parent / url).resolve().is_file(), (m, url)


def test_gallery_shows_every_example(built):
    text = (built / "gallery.html").read_text(encoding="utf-8")
    for path in sorted((DOCS.parent / "examples").glob("*.py")):
        assert f'id="example-{path.stem.replace("_", "-")}"' in text, path.stem


def test_sources_are_named_by_paper_not_by_seed_number():
    # "seed 000" reads as a random seed: what users read names the paper (docs/references.rst)
    internal = re.compile(r"\bseeds? ?0\d\d\b|\bseed-?0\d\d|seeds 0\d\d/", re.IGNORECASE)
    root = DOCS.parent
    files = [*DOCS.glob("*.rst"), *(DOCS / "mechanisms").glob("*.rst"), root / "README.md",
             root / "CHANGELOG.md", *(root / "examples").glob("*.py"),
             DOCS / "tutorial.ipynb"]
    hits = [f"{f.relative_to(root)}:{i}: {line.strip()}" for f in files
            for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
            # code names (``...``, :func:`...`) are the code's business
            if internal.search(re.sub(r"``[^`]*``|:\w+:`[^`]*`", "", line))]
    assert not hits, "\n".join(hits)


def test_every_closed_form_is_rendered_from_its_symbolic_law():
    # a mechanism with a closed form shows it from grokdelay._symbolic, not retyped
    import grokdelay as gd
    from grokdelay._symbolic import methods_with_laws

    for m in gd.mechanisms():
        if methods_with_laws(m):
            text = (DOCS / "mechanisms" / f"{m}.rst").read_text()
            assert f".. mechanism-laws:: {m}" in text, f"{m}.rst: render the closed forms"


def test_built_pages_name_sources_by_paper_not_by_seed_number(built):
    # the rendered laws show each Law's ``source``, and the class docstrings come in by autoclass
    internal = re.compile(r"\bseeds? ?0\d\d\b|\bseed-0\d\d\b", re.IGNORECASE)
    hits = []
    for page in sorted(built.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        html = re.sub(r"<code[^>]*>.*?</code>|<pre>.*?</pre>|<script.*?</script>", "", html,
                      flags=re.DOTALL)          # code names are the code's business
        text = re.sub(r"<[^>]+>", " ", html)
        hits += [f"{page.relative_to(built)}: ...{text[max(0, m.start() - 40):m.end() + 40]}..."
                 for m in internal.finditer(text)]
    assert not hits, "\n".join(hits)


def test_library_strings_name_sources_by_paper_not_by_seed_number():
    # notes, messages, help texts and docstrings of src/ (code names like seed000_summary or
    # SEED000 have no space or hyphen before the number and are left alone)
    internal = re.compile(r"\bseeds? 0\d\d\b|\bseed-0\d\d\b", re.IGNORECASE)
    src = DOCS.parent / "src" / "grokdelay"
    hits = [f"{f.relative_to(src)}:{i}: {line.strip()}" for f in sorted(src.rglob("*.py"))
            for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
            if internal.search(line)]
    assert not hits, "\n".join(hits)


# Displayed equations a mechanism's docstrings may keep: each is not one of the closed forms
# of grokdelay._symbolic (those are rendered from there: docs pages and _repr_latex_), and the
# reason says what it is instead. Keys: mechanism -> {a distinctive piece of the display: why}.
_CLASS_DISPLAYS_ALLOWED: dict[str, dict[str, str]] = {}
_MODULE_DISPLAYS_ALLOWED: dict[str, dict[str, str]] = {
    "ridge_null_space": {
        r"e_{k+1} = \big(I - \eta(H + \lambda I)\big)":
            "the error recursion of gradient descent, the dynamics the laws solve"},
    "norm_separation": {
        r"\Theta\!\left(":
            "the paper's abstract as stated: a Theta without constant and AdamW's rate "
            "inequality, not the library's law (constant 1/2)"},
    "kramers": {
        r"\sqrt{2T_\mathrm{eff}}\,dB_t": "eq 17, the Langevin dynamics assumed"},
    "two_clocks": {
        r"\mathcal L \le \log\bigl(1 + (K-1)e^{-g}\bigr)":
            "Lemma 3.1's loss bound, from which the classifier clock is derived"},
    "linear_teacher_student": {
        r"\mathcal L_\mathrm{tr} = \frac{1}{N_\mathrm{tr} d_\mathrm{out}}":
            "eqs 1-2, the definitions of the two losses",
        r"\mathcal L_\mathrm{gen} = \frac{1}{d_\mathrm{out}}\,\mathbb E":
            "the averaged generalization loss whose crossing the default method solves for "
            "numerically (it has no closed form)",
        r"\mathcal L_\mathrm{tr} = \frac{1}{d_\mathrm{out}}\,\mathbb E":
            "the averaged training loss, likewise"},
}


def _math_blocks(doc: str) -> list[str]:
    """The ``.. math::`` directives of a docstring, each with its argument and its body."""
    import inspect

    lines = inspect.cleandoc(doc).splitlines()
    blocks = []
    for i, line in enumerate(lines):
        m = re.match(r"(\s*)\.\. math::(.*)$", line)
        if m:
            body = [m.group(2)]
            for nxt in lines[i + 1:]:
                if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= len(m.group(1)):
                    break
                body.append(nxt)
            blocks.append("\n".join(body).strip())
    return blocks


def test_math_blocks_finds_displays():
    doc = "Law.\n\n    .. math::\n\n        t = 1/\\lambda\n\n    Parameters\n    ----------\n"
    assert _math_blocks(doc) == ["t = 1/\\lambda"]
    assert _math_blocks("Inline :math:`t = 1` only.") == []


def test_docstrings_point_to_the_symbolic_laws_instead_of_retyping_them():
    # issue 18, "no law is typed twice in prose": a mechanism with closed forms shows them from
    # grokdelay._symbolic (the docs page renders them right above the autoclass docstring);
    # its class and module docstrings may display only what is not one of those laws
    import sys

    import grokdelay as gd
    from grokdelay._symbolic import methods_with_laws

    bad, used = [], set()
    for name, cls in gd.mechanisms().items():
        if not methods_with_laws(name):
            continue
        module = sys.modules[cls.__module__]
        for where, doc, allowed in (
                (f"class {cls.__name__}", cls.__doc__, _CLASS_DISPLAYS_ALLOWED),
                (f"module {module.__name__}", module.__doc__, _MODULE_DISPLAYS_ALLOWED)):
            for block in _math_blocks(doc or ""):
                keys = [k for k in allowed.get(name, {}) if k in block]
                used.update((name, k) for k in keys)
                if not keys:
                    first = " ".join(block.split())[:80]
                    bad.append(f"{where}: a displayed equation ({first} ...): if it is one of "
                               f"the laws of grokdelay._symbolic, say in words where it is "
                               f"rendered; if not, allow-list it here with the reason")
        if "grokdelay._symbolic" not in (cls.__doc__ or ""):
            bad.append(f"class {cls.__name__}: say where its closed forms are rendered from "
                       f"(:mod:`grokdelay._symbolic`)")
    stale = [(m, k) for table in (_CLASS_DISPLAYS_ALLOWED, _MODULE_DISPLAYS_ALLOWED)
             for m, keys in table.items() for k in keys if (m, k) not in used]
    assert not stale, f"allow-listed displays no docstring has any more: {stale}"
    assert not bad, "\n".join(bad)
