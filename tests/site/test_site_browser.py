"""The published site in a real browser (headless Chromium through selenium): what a reader does with it.

Pages load without console errors, a header click sorts a tier's rows numerically (and a second click reverses
them), a figure opens full size, and a row's provenance view shows the commit its cells were measured at.
Skips, saying what is missing, where selenium, Chromium or chromedriver is not installed (Debian:
`apt-get install chromium chromium-driver`; `pip install selenium`).
"""

from __future__ import annotations

import json
import shutil

import pytest
from site_fixture import HOSTILE, TASKS

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402 - after importorskip, which skips without selenium

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def browser():
    binary = next((b for b in map(shutil.which, BROWSERS) if b), None)
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip("no Chromium and chromedriver on PATH (Debian: apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--allow-file-access-from-files",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _open(driver, path):
    driver.get(path.resolve().as_uri())
    driver.execute_script("return document.readyState")
    return driver


def _errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def test_pages_load_without_console_errors(browser, smoke_site):
    pages = [smoke_site / "index.html"] + [smoke_site / t.split("/")[0] / "index.html" for t in TASKS]
    pages += [smoke_site / f"{t}.html" for t in TASKS]
    for page in pages:
        _open(browser, page)
        assert browser.find_element(By.TAG_NAME, "h1").text
        assert browser.execute_script("return !!document.querySelector('link[rel=stylesheet]').sheet"), page
        assert _errors(browser) == [], f"console errors on {page.relative_to(smoke_site)}"
    assert browser.execute_script("return typeof alert") == "function"  # the page ran; the hostile name did not


def _column(driver, table_id: str, col: int) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.getElementById(arguments[0]).tBodies[0].rows)"
        ".map(r => r.cells[arguments[1]].getAttribute('data-v'))",
        table_id,
        col,
    )


def test_a_header_click_sorts_the_rows_numerically(browser, smoke_site):
    _open(browser, smoke_site / f"{TASKS[0]}.html")
    table = browser.find_element(By.ID, "board-smoke")
    headers = table.find_elements(By.CSS_SELECTOR, "thead th")
    names = [h.text for h in headers]
    col = next(i for i, n in enumerate(names) if n.startswith("queries"))
    before = _column(browser, "board-smoke", col)
    headers[col].find_element(By.CSS_SELECTOR, "button.sort").click()
    asc = _column(browser, "board-smoke", col)
    values = [float(v) for v in asc if v]
    assert values == sorted(values) and asc != before  # ranked by success, now by queries
    assert headers[col].get_attribute("aria-sort") == "ascending"
    headers[col].find_element(By.CSS_SELECTOR, "button.sort").click()
    desc = [float(v) for v in _column(browser, "board-smoke", col) if v]
    assert desc == sorted(values, reverse=True)
    assert any(c.text.startswith(HOSTILE) for c in table.find_elements(By.CSS_SELECTOR, "tbody td.method"))
    assert _errors(browser) == []


def test_a_figure_opens_full_size(browser, smoke_site):
    _open(browser, smoke_site / f"{TASKS[0]}.html")
    link = browser.find_element(By.CSS_SELECTOR, "figure.fig a.zoom")
    shown = browser.execute_script("return arguments[0].querySelector('img').getBoundingClientRect().width", link)
    main = browser.execute_script("return document.querySelector('main').clientWidth")
    assert shown > 0.85 * main - 60  # full width of the page's column
    link.click()
    dialog = browser.find_element(By.ID, "zoom-dialog")
    assert browser.execute_script("return arguments[0].open", dialog)
    natural = browser.execute_script(
        "const i = arguments[0].querySelector('img'); "
        "return [i.complete, i.naturalWidth, i.getBoundingClientRect().width]",
        dialog,
    )
    assert natural[0] and natural[1] > 0 and natural[2] >= natural[1] - 1  # shown at its own size, not scaled down
    assert _errors(browser) == []


def test_the_provenance_view_shows_the_commit(browser, smoke_site):
    page = smoke_site / f"{TASKS[0]}.html"
    _open(browser, page)
    link = browser.find_element(By.CSS_SELECTOR, "#board-smoke a.prov-link")
    link.click()
    dialog = browser.find_element(By.ID, "prov-dialog")
    assert browser.execute_script("return arguments[0].open", dialog)
    text = dialog.text
    assert "commit" in text and "library versions" in text and "machine" in text
    row = (
        link.find_element(By.XPATH, "./ancestor::tr").find_element(By.CSS_SELECTOR, "td.method").get_attribute("data-v")
    )
    commits = _commits(smoke_site, TASKS[0], row)
    assert commits and any(c in text for c in commits)
    assert _errors(browser) == []


def _commits(site, task, label) -> set[str]:
    """The commits the store's cells of (task, smoke, label) record, read back from the published rows slice."""
    import pandas as pd

    rows = pd.read_csv(site.parent / "rows.csv.gz", dtype=str, keep_default_na=False)
    rows = rows[(rows["task"] == task) & (rows["tier"] == "smoke") & (rows["method"] == label)]
    return {json.loads(p).get("git_commit", "") for p in rows["provenance"]} - {""}


def _pages(site):
    return (
        [site / "index.html"]
        + [site / t.split("/")[0] / "index.html" for t in TASKS]
        + [site / f"{t}.html" for t in TASKS]
    )


@pytest.mark.parametrize("width", [1400, 390])
def test_no_page_scrolls_sideways_and_wide_tables_scroll_in_their_box(browser, smoke_site, width):
    browser.set_window_size(width, 1000)
    try:
        for page in _pages(smoke_site):
            _open(browser, page)
            over = browser.execute_script("const d = document.documentElement; return d.scrollWidth - d.clientWidth")
            assert over <= 0, f"{page.relative_to(smoke_site)} is {over} px wider than a {width} px window"
        _open(browser, smoke_site / f"{TASKS[1]}.html")
        boxes = browser.execute_script(
            "return Array.from(document.querySelectorAll('div.scroll')).map(b => [b.scrollWidth > b.clientWidth + 1,"
            " !b.previousElementSibling.hidden && b.previousElementSibling.className === 'scroll-hint'])"
        )
        assert all(wide == hinted for wide, hinted in boxes)  # a table wider than its box says so, no other does
        if width == 390:
            assert any(wide for wide, _ in boxes)
            box = browser.find_element(By.CSS_SELECTOR, "#tier-smoke div.scroll")
            browser.execute_script("arguments[0].scrollLeft = 400", box)
            stuck = browser.execute_script(
                "const b = arguments[0].getBoundingClientRect().left + arguments[0].clientLeft, "
                "m = arguments[0].querySelector('tbody td.method');"
                " return m.getBoundingClientRect().left - b",
                box,
            )
            assert abs(stuck) <= 2  # the method column stays at the box's left edge while the table scrolls
    finally:
        browser.set_window_size(1400, 1000)


def test_headline_column_comes_first_and_collapsed_notes_keep_rows_short(browser, smoke_site):
    _open(browser, smoke_site / f"{TASKS[1]}.html")
    heads = browser.execute_script(
        "return Array.from(document.querySelectorAll('#board-smoke thead th')).map(t => [t.textContent, t.className])"
    )
    assert heads[3][0].startswith("net_bits_per_dim") and "headline" in heads[3][1]
    ref = browser.find_element(By.ID, "board-reference")
    rows = browser.execute_script(
        "return Array.from(arguments[0].tBodies[0].rows).map(r => r.getBoundingClientRect().height)", ref
    )
    notes = ref.find_elements(By.CSS_SELECTOR, "details.note")
    assert rows and notes and max(rows) < 60  # a note's full text is not in the row until it is opened
    before = notes[0].find_element(By.XPATH, "./ancestor::tr").rect["height"]
    notes[0].find_element(By.TAG_NAME, "summary").click()
    assert browser.execute_script("return arguments[0].open", notes[0])
    assert notes[0].find_element(By.XPATH, "./ancestor::tr").rect["height"] > before


def test_figures_fill_at_most_the_column_and_are_never_enlarged(browser, smoke_site):
    for page in _pages(smoke_site):
        _open(browser, page)
        sizes = browser.execute_script(
            "return Promise.all(Array.from(document.querySelectorAll('figure.fig img')).map(i => i.decode()"
            ".catch(() => null).then(() => [i.naturalWidth, i.clientWidth,"
            " document.querySelector('main').clientWidth])))"
        )
        for natural, shown, column in sizes:
            assert natural > 0 and shown <= natural + 1 and shown <= column, (page, natural, shown, column)


def test_every_page_of_the_committed_site_fits_a_narrow_window(browser):
    from pathlib import Path

    site = Path(__file__).resolve().parents[2] / "leaderboards"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 30
    browser.set_window_size(390, 900)
    try:
        wide = []
        for page in pages:
            _open(browser, page)
            over = browser.execute_script("const d = document.documentElement; return d.scrollWidth - d.clientWidth")
            if over > 0:
                wide.append(f"{page.relative_to(site)} (+{over} px)")
            assert _errors(browser) == [], page
        assert wide == []
    finally:
        browser.set_window_size(1400, 1000)
