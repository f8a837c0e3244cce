"""Rendered reports in a real browser: headless Chromium (the distribution's package, installed by
scripts/install-browser.sh) driven by Playwright, with every network request blocked. Two reports
(bokmål and English) and the index: no JavaScript errors, every plotly chart draws, and every
link on the index resolves. Skipped when Chromium is missing, except under CI (then it fails)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from planning import reports

# one xdist worker renders once for the whole module (`pytest -n 2 --dist loadgroup`)
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if path:
        return path
    reason = (
        f"headless Chromium not found at {CHROMIUM} (install it with scripts/install-browser.sh)"
    )
    if os.environ.get("CI"):
        pytest.fail(reason + "; CI is set, so the browser tests must run")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Two reports rendered in parallel (bokmål) and their index. (English reports are rendered
    in tests/test_reports.py.)"""
    exe = _chromium()
    out = tmp_path_factory.mktemp("reports")
    saved = {v: os.environ.get(v) for v in reports.PRIVATE_ENV_VARS}
    try:
        results, index = reports.render_reports(
            ["baseline", "shared_dms"], out, lang="nb", runs=3, workers=2
        )
    finally:  # rendering in this process set private Jupyter folders; restore the environment
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
        reports._WORKER_ROOT = None
    assert all(r.status == "ok" for r in results), [r.error for r in results]
    return {"exe": exe, "out": out, "index": index}


@pytest.fixture(scope="module")
def browser(rendered):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=rendered["exe"], args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, path: Path):
    """Open a local file with all network access blocked; returns (page, errors, blocked)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    errors: list[str] = []
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on(
        "console",
        lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.goto(path.as_uri(), wait_until="load", timeout=180_000)  # a loaded 2-core CI machine
    return page, errors, blocked


def _check_report(browser, path: Path, heading: str) -> None:
    page, errors, blocked = _open(browser, path)
    n_plots = page.locator(".plotly-graph-div").count()
    assert n_plots >= 9
    # every chart drew: plotly put its SVG layers and at least one trace into each div
    page.wait_for_function(
        "n => document.querySelectorAll('.plotly-graph-div .main-svg').length >= 2 * n",
        arg=n_plots,
        timeout=120_000,
    )
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('.plotly-graph-div')].map(d =>
             d._fullData !== undefined && d._fullData.length > 0 && d.querySelector('.main-svg') !== null)"""
    )
    assert drawn == [True] * n_plots
    assert page.evaluate("typeof window.Plotly") == "object"
    assert page.locator(f"h2:has-text('{heading}')").count() == 1
    assert page.locator("pre:has-text('Traceback')").count() == 0
    # interactive: hovering a chart draws its hover layer without errors
    page.locator(".plotly-graph-div").first.hover()
    page.wait_for_timeout(200)
    assert errors == [], errors
    assert blocked == [], f"the report tried to load {blocked[:3]} from the network"
    page.context.close()


def test_reports_draw_every_chart_without_errors_offline(browser, rendered):
    _check_report(browser, rendered["out"] / "baseline.html", "Sammendrag")
    _check_report(browser, rendered["out"] / "shared_dms.html", "Kostnader")
    # the steering group reads how far the method has missed before, in the population section
    page, _, _ = _open(browser, rendered["out"] / "baseline.html")
    trust = page.locator("p:has-text('Hvor treffsikker er framskrivingen?')")
    assert trust.count() == 1 and "2011 og 2016" in trust.inner_text()
    page.context.close()


def test_reports_offer_the_spreadsheet_and_show_budget_years_and_workforce(browser, rendered):
    import base64
    import io

    import openpyxl

    for name in ("baseline", "shared_dms"):
        path = rendered["out"] / f"{name}.html"
        assert path.stat().st_size < reports.MAX_HTML_BYTES
        page, errors, blocked = _open(browser, path)
        link = page.locator("a.vp-download[download]")
        assert link.count() == 1 and link.is_visible()
        assert link.get_attribute("download") == f"{name}.xlsx"
        href = link.get_attribute("href")
        assert href.startswith("data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,")
        wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(href.split(",", 1)[1])), read_only=True)
        assert {"Økonomiplan Regionen", "Arbeidskraft", "Kilder", "Forutsetninger"} <= set(wb.sheetnames)
        # the budget tables: one per municipality and the region, the budget years as columns
        assert page.locator("h2:has-text('Økonomiplan og langsiktige behov')").count() == 1
        assert page.locator("details:has(table.vp-table)").count() >= 5
        head = page.locator("details[open] table.vp-table thead").first.inner_text()
        for year in ("2027", "2028", "2029", "2030", "2035", "2040", "2050"):
            assert year in head
        # the workforce charts drew
        assert page.locator("h2:has-text('Arbeidskraft')").count() == 1
        titles = page.eval_on_selector_all(
            ".plotly-graph-div", "els => els.map(e => (e.layout && e.layout.title && e.layout.title.text) || '')"
        )
        assert any("Arbeidskraft og eldre" in x for x in titles), titles
        assert any("Årsverk per yrke" in x for x in titles), titles
        # the charts that say something: cost by service, KAD against the national occupancy,
        # refusals and overliggedøgn, and (with shared units) travel weighted by users
        for title in ("KAD/ØHD: innleggelser og belegg", "Avviste pasienter og overliggedøgn", "per kommune og tjeneste"):
            assert any(title in x for x in titles), (title, titles)
        assert any("Reisetid til felles enheter" in x for x in titles) == (name == "shared_dms")
        names_drawn = page.evaluate(
            "() => [...document.querySelectorAll('.plotly-graph-div')].flatMap(d => d.data.map(t => t.name || ''))"
        )
        assert any("Norge 2022: 47" in n for n in names_drawn)
        assert errors == [] and blocked == [], (errors, blocked)
        page.context.close()


def test_index_links_resolve_and_open_a_working_report(browser, rendered):
    index: Path = rendered["index"]
    page, errors, blocked = _open(browser, index)
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert len(hrefs) == 2
    for href in hrefs:
        target = Path(unquote(urlparse(href).path))
        assert target.is_file(), href
        assert target.parent == index.parent
    rows = page.locator("#scenarios tbody tr")
    assert rows.count() == 2
    assert "Felles DMS i Stjørdal" in rows.nth(1).inner_text()
    page.locator("a[href='shared_dms.html']").click()
    page.wait_for_load_state("load", timeout=180_000)  # a loaded 2-core CI machine
    assert page.url.endswith("/shared_dms.html")
    page.wait_for_function(
        "document.querySelectorAll('.plotly-graph-div .main-svg').length > 0", timeout=120_000
    )
    assert errors == [] and blocked == [], (errors, blocked)
    page.context.close()
