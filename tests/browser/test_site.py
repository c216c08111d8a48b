"""The built book read in a real browser (Debian's Chromium, headless), as readers use it.

Each page of the table of contents (and the search and index pages) is opened once; what a reader
would meet there is recorded (console errors, failed requests, equations, figures, axe-core's
accessibility report, the layout on a phone) and the tests below check the record, one behaviour
each. The links of the whole site are crawled over HTTP.
"""
import json
import os
import re
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from urllib.parse import urljoin, urldefrag, urlparse

import pytest
from book_toc import toc_files
from browser_setup import ROOT, require_browser

require_browser()

from axe_playwright_python.sync_playwright import Axe  # noqa: E402

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
MAX_PAGE_BYTES = 1.5e6
# axe-core: report violations only (much faster on pages with large tables) and do not preload the
# stylesheets (axe resolves their `@import` against the page's URL and asks for a /basic.css that
# does not exist; preloading only serves the css-orientation-lock rule).
AXE_OPTIONS = {"resultTypes": ["violations"], "preload": False}
ARCHIVE = "_downloads/mlmcourse-notebooks.zip"
PDF = "mlmcourse.pdf"  # the whole book, scripts/book_pdf.py
# Computed colours are only final once the theme's colour transitions have run.
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; animation: none !important; }"


def source_of(file):
    """The source file of a table-of-contents entry (`.ipynb` or `.md`)."""
    return next((ROOT / file).parent.glob(f"{Path(file).name}.*"))


TOC_PAGES = [f"{Path(file).as_posix()}.html" for file in toc_files()]
PAGES = TOC_PAGES + ["search.html", "genindex.html"]
NOTEBOOK_PAGES = [f"{file}.html" for file in toc_files() if source_of(file).suffix == ".ipynb"]
# Dark mode is checked for contrast on the introduction (text, tables, equations, the theme's
# controls) and on one chapter (code cells and their outputs): the other pages use the same styles,
# and the contrast check takes seconds on a chapter page.
DARK_PAGES = [TOC_PAGES[0], NOTEBOOK_PAGES[0]]


@dataclass
class Reading:
    """What a reader meets on one page."""

    loaded: bool = False
    console_errors: list = field(default_factory=list)
    failed_requests: list = field(default_factory=list)
    math: dict = field(default_factory=dict)
    images: list = field(default_factory=list)
    page_bytes: int = 0
    axe_light: list = field(default_factory=list)
    axe_dark_contrast: list = field(default_factory=list)
    phone_overflow: dict = field(default_factory=dict)


MATH_STATE = """() => {
    const shown = document.querySelector('main') || document.body;
    const text = Array.from(shown.querySelectorAll('p, li, td, th, dd, dt, .math, h1, h2, h3, figcaption'))
        .filter(e => !e.closest('pre, code, .cell_input, .highlight'))
        .map(e => e.innerText).join('\\n');
    return {
        math_elements: document.querySelectorAll('.math').length,
        untypeset: Array.from(document.querySelectorAll('.math'))
            .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)),
        containers: document.querySelectorAll('mjx-container').length,
        raw_delimiters: (text.match(/\\$\\$|\\\\\\[|\\\\\\(/g) || []).length,
    };
}"""

IMAGES = """() => Array.from(document.querySelectorAll('main img, article img')).map(img => ({
    src: img.getAttribute('src'), alt: (img.getAttribute('alt') || '').trim(),
    width: img.naturalWidth, complete: img.complete, figure: !!img.closest('figure, .cell_output'),
}))"""

PAGE_BYTES = """() => {
    const doc = performance.getEntriesByType('navigation')[0].encodedBodySize;
    const images = performance.getEntriesByType('resource')
        .filter(r => r.initiatorType === 'img').reduce((sum, r) => sum + r.encodedBodySize, 0);
    return doc + images;
}"""

OVERFLOW = """() => {
    const limit = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth <= limit) return {scroll_width: limit, client_width: limit};
    const scrolls = e => getComputedStyle(e).overflowX !== 'visible';
    const inScroller = e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
                                  if (scrolls(a)) return true;
                              return false; };
    const culprits = Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > limit + 1 && !inScroller(e))
        .map(e => `${e.tagName.toLowerCase()}.${String(e.className).split(' ')[0]}: ${e.textContent.trim().slice(0, 60)}`);
    return {scroll_width: document.documentElement.scrollWidth, client_width: limit, too_wide: culprits.slice(0, 5)};
}"""


def serious(violations):
    return [f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in violations if v["impact"] in ("serious", "critical")]


def settle(page):
    """Wait until MathJax has typeset, the theme has chosen light or dark and images have loaded."""
    page.add_style_tag(content=NO_TRANSITIONS)
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => true) : false")
    page.wait_for_function("() => ['light', 'dark'].includes(document.documentElement.dataset.theme)")
    page.wait_for_function("() => Array.from(document.images).every(img => img.complete)")


def read_page(browser, url, *, dark):
    """Open `url` as a reader would (desktop, light), then in dark mode and on a phone; record it all."""
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    page = context.new_page()
    reading = Reading()
    page.on("console", lambda m: m.type == "error" and reading.console_errors.append(f"{m.text} ({m.location})"))
    page.on("pageerror", lambda error: reading.console_errors.append(f"uncaught: {error}"))
    page.on("requestfailed", lambda r: reading.failed_requests.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and reading.failed_requests.append(f"{r.url}: HTTP {r.status}"))
    page.set_default_timeout(15_000)
    response = page.goto(url, wait_until="load")
    if response.status != 200:
        context.close()
        return reading  # the failed request is recorded; there is no page to read
    settle(page)
    reading.loaded = True
    reading.math = page.evaluate(MATH_STATE)
    reading.images = page.evaluate(IMAGES)
    reading.page_bytes = page.evaluate(PAGE_BYTES)
    axe = Axe()
    reading.axe_light = serious(axe.run(page, options=AXE_OPTIONS).response["violations"])
    if dark:
        page.emulate_media(color_scheme="dark")
        page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
        contrast = axe.run(page, options={**AXE_OPTIONS, "runOnly": ["color-contrast"]})
        reading.axe_dark_contrast = serious(contrast.response["violations"])
    page.set_viewport_size(PHONE)
    page.wait_for_function(f"() => document.documentElement.clientWidth <= {PHONE['width']}")
    reading.phone_overflow = page.evaluate(OVERFLOW)
    context.close()
    return reading


@pytest.fixture(scope="module")
def all_readings(browser, site):
    """Every page read once, by page path."""
    return {path: read_page(browser, site + path, dark=path in DARK_PAGES) for path in PAGES}


@pytest.fixture
def reading(all_readings, path):
    """What the reader met on the page of the test's `path`, which must have loaded."""
    found = all_readings[path]
    assert found.loaded, f"{path} did not load: {found.failed_requests}"
    return found


@pytest.mark.parametrize("path", PAGES)
def test_page_logs_no_console_errors(reading, path):
    assert reading.console_errors == []


@pytest.mark.parametrize("path", PAGES)
def test_every_file_the_page_asks_for_is_served(all_readings, path):
    assert all_readings[path].failed_requests == []


@pytest.mark.parametrize("path", PAGES)
def test_mathjax_typesets_every_equation_and_leaves_no_raw_tex(reading, path):
    math = reading.math
    assert math["untypeset"] == [], f"equations left as TeX: {math['untypeset']}"
    assert math["raw_delimiters"] == 0, "raw $$, \\[ or \\( left in the text"
    assert math["containers"] >= math["math_elements"]


def test_the_introductions_notation_is_typeset(all_readings):
    assert all_readings[TOC_PAGES[0]].math["containers"] >= 10


@pytest.mark.parametrize("path", PAGES)
def test_every_image_loads_and_has_alt_text_that_is_not_a_file_name(reading, path):
    for image in reading.images:
        assert image["complete"] and image["width"] > 0, f"{image['src']} did not load"
        assert image["alt"], f"{image['src']} has no alt text"
        assert not re.fullmatch(r"\S+\.(png|jpe?g|svg|gif|webp)", image["alt"], re.I), \
            f"{image['src']}: alt text is a file name: {image['alt']}"


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_every_figure_a_notebook_stores_is_shown_on_its_page(reading, path):
    notebook = json.loads(source_of(path.removesuffix(".html")).read_text())
    stored = sum("image/png" in output.get("data", {})
                 for cell in notebook["cells"] if cell["cell_type"] == "code" for output in cell["outputs"])
    shown = sum(image["figure"] for image in reading.images)
    assert shown == stored


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_serious_or_critical_accessibility_violations(reading, path):
    assert reading.axe_light == []


@pytest.mark.parametrize("path", DARK_PAGES)
def test_text_keeps_enough_contrast_in_dark_mode(reading, path):
    assert reading.axe_dark_contrast == []


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_375_pixel_phone_without_horizontal_scrolling(reading, path):
    overflow = reading.phone_overflow
    assert overflow["scroll_width"] <= overflow["client_width"], f"too wide: {overflow['too_wide']}"


@pytest.mark.parametrize("path", TOC_PAGES)
def test_chapter_page_with_its_images_weighs_under_one_and_a_half_megabytes(reading, path):
    assert 0 < reading.page_bytes < MAX_PAGE_BYTES


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_download_button_offers_the_chapters_notebook(page, site, path):
    page.goto(site + path)
    page.get_by_role("button", name="Download this page").click()
    link = page.locator(".dropdown-download-buttons a[href$='.ipynb']")
    assert link.is_visible()
    assert link.get_attribute("href").endswith("/" + source_of(path.removesuffix(".html")).name)
    response = page.request.get(urljoin(page.url, link.get_attribute("href")))
    assert response.status == 200
    notebook = response.json()
    title = page.locator("main h1").first.inner_text().strip("#¶ \n")
    assert notebook["nbformat"] == 4
    assert f"# {title}" in "".join(notebook["cells"][0]["source"]) + "".join(notebook["cells"][1]["source"])


def test_search_finds_intraclass(page, site):
    page.goto(site + "search.html?q=intraclass")
    page.locator("#search-results .search-summary").wait_for(timeout=15_000)
    links = page.locator("#search-results ul.search li a").evaluate_all("links => links.map(a => a.href)")
    assert any(link.endswith("chapters/intro.html") for link in links), links


def test_the_introduction_links_the_offline_archive_of_notebooks_and_data(page, site):
    page.goto(site + TOC_PAGES[0])
    link = page.locator(f"a[href$='{Path(ARCHIVE).name}']")
    assert link.count() == 1
    response = page.request.get(urljoin(page.url, link.get_attribute("href")))
    assert response.status == 200
    names = {Path(name).name for name in zipfile.ZipFile(BytesIO(response.body())).namelist()}
    assert {path.name for path in (ROOT / "chapters").glob("*.ipynb")} <= names
    assert {path.name for path in (ROOT / "data").glob("*.csv")} <= names


def test_the_introduction_links_the_whole_book_as_one_pdf(page, site, book_pdf_on_site):
    book_pdf = book_pdf_on_site
    if book_pdf["reason"] is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the PDF cannot be built under CI=true: {book_pdf['reason']}", pytrace=False)
        pytest.skip(f"no PDF to link: {book_pdf['reason']}")
    page.goto(site + TOC_PAGES[0])
    link = page.locator(f"a[href$='/{PDF}']")
    assert link.count() == 1
    response = page.request.get(urljoin(page.url, link.get_attribute("href")))
    assert response.status == 200
    assert response.body().startswith(b"%PDF-")
    assert response.body() == (Path(book_pdf["latex"]) / PDF).read_bytes()


class Links(HTMLParser):
    """The URLs a page points at: links, images, scripts and stylesheets."""

    ATTRIBUTES = {"a": "href", "link": "href", "img": "src", "script": "src", "iframe": "src"}

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        value = dict(attrs).get(self.ATTRIBUTES.get(tag, ""))
        if value:
            self.urls.append(value)


def crawl(*starts):
    """Every internal URL reachable from `starts`, with its HTTP status (pages are followed)."""
    status, queue, site = {}, list(starts), urlparse(starts[0]).netloc
    while queue:
        url = queue.pop()
        if url in status:
            continue
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                status[url] = response.status
                body = response.read() if url.endswith(".html") or url.endswith("/") else b""
        except urllib.error.HTTPError as error:
            status[url] = error.code
            continue
        parser = Links()
        parser.feed(body.decode("utf-8", "replace"))
        for found in parser.urls:
            target = urldefrag(urljoin(url, found)).url
            if urlparse(target).netloc == site and target not in status:
                queue.append(target)
    return status


def test_no_internal_link_on_the_site_answers_404(site, book_pdf_on_site):
    book_pdf = book_pdf_on_site
    status = crawl(site + "index.html", site + TOC_PAGES[0])
    if book_pdf["reason"] is not None:  # no TeX here: the PDF test above says so (and fails under CI)
        status.pop(site + "_downloads/" + PDF, None)
    assert len(status) > len(PAGES), "the crawl found too few pages"
    assert {url: code for url, code in status.items() if code != 200} == {}
