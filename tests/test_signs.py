"""No user-facing text shows a sign on a change that rounds to zero ('+0.0', '-0', '−0,0'):
every signed figure goes through :func:`planning.i18n.fmt_signed`, in tables, generated docs,
the CLI and plotly hover text (whose own '+' format would print '+0.0')."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from planning import backtest, plots

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "snapshots" / "backtest.csv"
#: a format that adds a sign itself: Python '{:+.1f}' / f'{x:+,.0f}' / '%+d', d3 '%{y:+,.1f}'
SIGN_FORMAT = re.compile(r"(\{[^{}]*:\+[,.0-9]|%\+|:\+[,.0-9]+[fdeg%])")
SIGNED_ZERO = re.compile(r"(?<![\w.,])[+\-\u2212]0(?:[.,]0+)?(?![\w.,])")


def test_sign_format_pattern_finds_the_kinds_it_guards():
    for text in ("f'{x:+.1f}'", '"{:+.1f}"', "%{customdata[0]:+,.1f}", "'%+d' % x"):
        assert SIGN_FORMAT.search(text), text
    for text in ("f'{x:,.1f}'", "'+' + t", "%{y:.0%}", "a + b"):
        assert not SIGN_FORMAT.search(text), text


def test_no_module_formats_a_sign_itself():
    """fmt_signed is the one place that writes a sign; the package, the notebooks and the
    benchmarks use it (or text it produced) instead of a '+' format."""
    found = []
    paths = [
        *ROOT.glob("planning/**/*.py"),
        *ROOT.glob("notebooks/*.ipynb"),
        *ROOT.glob("bench/*.py"),
    ]
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SIGN_FORMAT.search(line.split("#")[0]):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not found, "\n".join(found)


def _rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("| ")]


def test_backtest_markdown_writes_no_signed_zero():
    """Known values: -0.04 and 0.04 read '0.0', -9.04 '-9.0', 1.66 '+1.7'."""
    snap = pd.read_csv(SNAPSHOT, dtype={"municipality_code": str})
    one = snap[snap["base_year"] == 2011].copy()
    first = one["municipality_code"] == one["municipality_code"].iloc[0]
    values = {"total": -0.04, "0-5": 0.04, "6-15": -9.04, "16-66": 1.66}
    for group, pe in values.items():
        one.loc[first & (one["age_group"] == group), "pe"] = pe
    text = backtest.markdown(one)
    row = next(r for r in _rows(text) if r.startswith(f"| {one['municipality_code'].iloc[0]} "))
    cells = [c.strip() for c in row.strip("|").split("|")][2:6]
    assert cells == ["0.0", "0.0", "-9.0", "+1.7"]
    assert not [r for r in _rows(text) if SIGNED_ZERO.search(r)]


def test_docs_population_tables_are_the_markdown_of_the_pinned_backtest():
    """docs/demography.md holds `planning backtest --markdown` for both windows, row for row, as
    the pinned snapshot gives it; so the docs carry no '-0.0' and stay in sync with the figures."""
    snap = pd.read_csv(SNAPSHOT, dtype={"municipality_code": str})
    docs = (ROOT / "docs" / "demography.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for base in (2011, 2016):
        text = backtest.markdown(snap[snap["base_year"] == base])
        rows = _rows(text)
        assert rows and all(r in docs for r in rows), [r for r in rows if r not in docs]
        summary = [r for r in rows if r.startswith("| **")]
        assert all(r in readme for r in summary), [r for r in summary if r not in readme]
    for path in ("docs/demography.md", "docs/demand.md", "README.md"):
        text = (ROOT / path).read_text(encoding="utf-8")
        assert not [r for r in _rows(text) if SIGNED_ZERO.search(r)], path


def test_profession_hover_shows_no_signed_zero():
    prof = pd.DataFrame(
        {
            "profession": ["sykepleier", "helsefagarbeider", "lege", "annet"],
            "year": [2040] * 4,
            "fte": [100.02, 50.0, 10.0, 20.0],
            "fte_today": [100.0, 50.03, 8.5, 22.26],
        }
    )
    for lang, want in (
        ("nb", ["0,0", "0,0", "+1,5", "\u22122,3"]),
        ("en", ["0.0", "0.0", "+1.5", "-2.3"]),
    ):
        fig = plots.profession_bars(prof, lang)
        bar = fig.data[0]
        assert [row[0] for row in bar.customdata] == want
        assert "customdata[0]}" in bar.hovertemplate and ":+" not in bar.hovertemplate
