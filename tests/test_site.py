"""The site as readers get it: every page of the built books, in Chromium, offline.

Each site is served from a local HTTP server (and a few pages are opened straight from
disk); every HTML page is visited once at desktop width (1280 px) and once at phone width
(390 px). What a visit records -- requests, console messages, images, links, the banner,
result tables, axe-core's findings, what sticks out of a phone screen -- is then checked
by the tests below, each over every page, so that a failure lists every page concerned.
Sphinx's own pages (``genindex.html``, ``search.html``) are checked like the others;
``index.html`` is Jupyter Book's redirect to ``intro.html`` and is checked as such.

The network here is closed, and a book must carry every script, style sheet, font and
image itself: a request for another host is aborted and reported. Screenshots of every
page go to ``test-results/screenshots/`` (the follow-up cohort's in a subfolder).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import html.parser
import http.server
import io
import json
import re
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_COHORT = "nct02084238"
FOLLOWUP_COHORT = "nct02465580"
SCREENSHOTS = ROOT / "test-results" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium calls Google hosts when it starts.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: URL schemes a page may use besides its own origin: nothing there leaves the machine.
INLINE_SCHEMES = ("data:", "blob:")
#: Jupyter Book's redirect page at the site root.
REDIRECT = "index.html"
SERIOUS = ("serious", "critical")


# ---------------------------------------------------------------------------------------
# the browser and the servers


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for the session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (`make browser` installs it)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1 (a free port) from a thread; yield its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def site_url(default_site: Path):
    """The default cohort's site over HTTP, for the session."""
    yield from serve(default_site)


@pytest.fixture(scope="session")
def followup_url(followup_site: Path):
    """The randomized follow-up cohort's site over HTTP, for the session."""
    yield from serve(followup_site)


def site_pages(site: Path) -> list[str]:
    """Every HTML page of a built site, relative to it (theme assets and sources excluded)."""
    return sorted(
        p.relative_to(site).as_posix() for p in site.rglob("*.html")
        if not {"_static", "_sources", "_images"} & set(p.relative_to(site).parts)
    )


# ---------------------------------------------------------------------------------------
# visiting a page


@dataclass
class Visit:
    """What one page did and showed, at desktop width unless marked [phone]."""

    page: str
    requests: list[str] = field(default_factory=list)
    left_machine: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    icon: dict | None = None
    images: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    banner: dict | None = None
    tables: list[dict] = field(default_factory=list)
    axe_violations: list[dict] = field(default_factory=list)
    axe_requests: list[str] = field(default_factory=list)
    overflow: dict = field(default_factory=dict)
    screenshots: dict[str, Path] = field(default_factory=dict)
    muted: bool = False  # stop recording (events still arriving while the page closes)


@dataclass
class Site:
    cohort: str
    folder: Path
    url: str
    visits: dict[str, Visit]

    @property
    def config(self):
        from helpers.data.config import read_cohort_config

        return read_cohort_config(ROOT / "data" / self.cohort)


def is_local(url: str, origin: str) -> bool:
    return url.startswith(origin) or url.startswith(INLINE_SCHEMES)


def open_page(browser, url: str, origin: str, viewport: dict, phone: bool = False, idle: bool = True):
    """Open ``url`` in a fresh context, recording every request, failure and console
    error; a request that would leave the machine is aborted. Waits for the network to
    settle unless ``idle`` is false. Returns (context, page, visit); the caller closes
    the context."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=phone,
                                  has_touch=phone, service_workers="block")
    visit = Visit(page=url.removeprefix(origin))

    def route(r):
        if is_local(r.request.url, origin):
            r.continue_()
        else:
            visit.left_machine.append(r.request.url)
            r.abort("blockedbyclient")

    context.route("**/*", route)
    page = context.new_page()
    def note(where: list, what: str) -> None:
        if not visit.muted:
            where.append(what)

    page.on("request", lambda r: note(visit.requests, r.url))
    page.on("requestfailed", lambda r: note(visit.failed, f"{r.url} ({r.failure})"))
    page.on("response", lambda r: note(visit.failed, f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
    page.on("console", lambda m: note(visit.console_errors, f"{m.text} [{m.location.get('url', '')}]")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: note(visit.console_errors, f"uncaught: {e}"))
    page.goto(url, wait_until="load")
    if idle:
        page.wait_for_load_state("networkidle")
    return context, page, visit


IMAGES_JS = """async () => {
  const imgs = [...document.images];
  await Promise.all(imgs.map(i => { i.loading = 'eager'; return i.decode().catch(() => null); }));
  return imgs.map(i => ({src: i.currentSrc || i.src, width: i.naturalWidth, alt: i.getAttribute('alt')}));
}"""

LINKS_JS = "() => [...document.querySelectorAll('a[href], area[href]')].map(a => a.href).filter(h => h)"

IDS_JS = "() => [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.getAttribute('name'))"

BANNER_JS = """() => {
  const b = document.querySelector('.bd-header-announcement');
  if (!b) return null;
  const r = b.getBoundingClientRect(), s = getComputedStyle(b);
  return {text: b.innerText.trim(), top: r.top + window.scrollY,
          visible: r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'
                   && parseFloat(s.opacity) > 0};
}"""

TABLES_JS = """() => [...document.querySelectorAll('div.result-table')].map(t => ({
  id: t.id,
  csv: [...t.querySelectorAll('a[href]')].filter(a => /\\.csv$/i.test(new URL(a.href).pathname))
        .map(a => ({href: a.href, text: a.innerText.trim()})),
}))"""

# Without a declared icon every browser asks the server for /favicon.ico (a 404, which
# Playwright does not report as a request of the page): the page must name one that loads.
ICON_JS = """async () => {
  const l = document.querySelector('link[rel~="icon"]');
  if (!l) return null;
  const img = new Image();
  img.src = l.href;
  return {href: l.href.slice(0, 80), loads: await img.decode().then(() => true, () => false)};
}"""

# What sticks out of the screen at phone width: fine when an ancestor scrolls it in its
# own box (a wide table); wrong when it widens the page or is clipped out of reach.
OVERFLOW_JS = """() => {
  const doc = document.documentElement, vw = doc.clientWidth;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const widening = [], clipped = [];
  for (const e of document.querySelectorAll('.bd-article *')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 1) continue;
    let a = e.parentElement, fate = 'widens the page';
    for (; a && a !== doc; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') { fate = 'scrolls'; break; }
      if (ox === 'hidden' || ox === 'clip') { fate = 'clipped by ' + name(a); break; }
    }
    if (fate === 'widens the page') widening.push(name(e));
    else if (fate !== 'scrolls') clipped.push(name(e) + ' ' + fate);
  }
  return {scroll_width: doc.scrollWidth, viewport: vw, widening: widening.slice(0, 5), clipped: clipped.slice(0, 5)};
}"""


def visit_page(browser, origin: str, page_rel: str, shots: Path) -> Visit:
    """Visit a page at desktop width (checks, axe-core, screenshot), then at phone width
    (overflow, screenshot)."""
    from axe_playwright_python.sync_playwright import Axe

    stem = page_rel.removesuffix(".html").replace("/", "__")
    context, page, visit = open_page(browser, origin + page_rel, origin, DESKTOP)
    try:
        visit.icon = page.evaluate(ICON_JS)
        visit.images = page.evaluate(IMAGES_JS)
        visit.links = page.evaluate(LINKS_JS)
        visit.ids = set(page.evaluate(IDS_JS))
        visit.banner = page.evaluate(BANNER_JS)
        visit.tables = page.evaluate(TABLES_JS)
        visit.screenshots["desktop"] = shots / f"{stem}-desktop.png"
        page.screenshot(path=str(visit.screenshots["desktop"]), full_page=True)
        # axe-core is injected from the Python package. What happens while it runs is its
        # doing, not the page's: its requests are kept apart (it re-reads style sheets,
        # resolving @import against the page rather than the sheet, hence a 404 or two).
        marks = {k: len(getattr(visit, k)) for k in ("requests", "left_machine", "failed", "console_errors")}
        visit.axe_violations = Axe().run(page).response["violations"]
        visit.muted = True  # (Playwright delivers events only inside its own calls)
        visit.axe_requests = visit.requests[marks["requests"]:] + visit.left_machine[marks["left_machine"]:]
        for k, n in marks.items():
            del getattr(visit, k)[n:]
    finally:
        context.close()

    # (the desktop visit waited for the network to settle; this one needs the layout only)
    context, page, phone = open_page(browser, origin + page_rel, origin, PHONE, phone=True, idle=False)
    try:
        visit.overflow = page.evaluate(OVERFLOW_JS)
        visit.screenshots["phone"] = shots / f"{stem}-phone.png"
        page.screenshot(path=str(visit.screenshots["phone"]), full_page=True)
    finally:
        context.close()
    visit.requests += phone.requests
    visit.left_machine += phone.left_machine
    visit.failed += [f"{f} [phone]" for f in phone.failed]
    visit.console_errors += [f"{c} [phone]" for c in phone.console_errors]
    return visit


def visit_site(browser, cohort: str, folder: Path, url: str, shots: Path) -> Site:
    shots.mkdir(parents=True, exist_ok=True)
    pages = [p for p in site_pages(folder) if p != REDIRECT]
    assert "intro.html" in pages and any(p.startswith("chapters/") for p in pages), pages
    return Site(cohort, folder, url, {p: visit_page(browser, url, p, shots) for p in pages})


@pytest.fixture(scope="session")
def default(default_site: Path, site_url: str, chromium) -> Site:
    """Every page of the default cohort's site, visited."""
    return visit_site(chromium, DEFAULT_COHORT, default_site, site_url, SCREENSHOTS)


@pytest.fixture(scope="session")
def followup(followup_site: Path, followup_url: str, chromium) -> Site:
    """Every page of the two-arm follow-up cohort's site, visited."""
    return visit_site(chromium, FOLLOWUP_COHORT, followup_site, followup_url, SCREENSHOTS / FOLLOWUP_COHORT)


# ---------------------------------------------------------------------------------------
# the checks: each returns {page: [problem, ...]} over every page of a site

Problems = dict[str, list[str]]


def load_problems(site: Site) -> Problems:
    """No console error, no failed request (the page's icon included)."""
    return {p: [f"console: {c}" for c in v.console_errors] + [f"failed request: {f}" for f in v.failed]
            + ([] if v.icon and v.icon["loads"] else
               [f"no icon that loads ({v.icon}): browsers then ask for /favicon.ico, which is not there"])
            for p, v in site.visits.items()}


def offline_problems(site: Site) -> Problems:
    """Every request is for the site itself (or data:/blob:)."""
    problems = {p: sorted(set(v.left_machine) | {u for u in v.requests if not is_local(u, site.url)})
                for p, v in site.visits.items()}
    for p, v in site.visits.items():
        if not any(u.startswith(site.url + "_static/") for u in v.requests):
            problems[p].append("loaded none of the theme's assets from _static/")
    return problems


def image_problems(site: Site) -> Problems:
    """Every image loaded (naturalWidth > 0) and has alt text."""
    return {p: [f"{i['src'][:100]}: " + ", ".join((["not loaded"] if not i["width"] else [])
                                                  + (["no alt text"] if not (i["alt"] or "").strip() else []))
                for i in v.images if not i["width"] or not (i["alt"] or "").strip()]
            for p, v in site.visits.items()}


class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])


def link_problems(site: Site) -> Problems:
    """Every link into the site reaches a file and, with a #fragment, an element with
    that id (or name) on the target page."""
    ids: dict[Path, set[str]] = {}

    def ids_of(path: Path) -> set[str]:
        if path not in ids:
            parser = _Ids()
            parser.feed(path.read_text(encoding="utf-8"))
            ids[path] = parser.ids
        return ids[path]

    problems: Problems = {}
    for p, v in site.visits.items():
        bad = problems.setdefault(p, [])
        internal = sorted({h for h in v.links if h.startswith(site.url)})
        if not internal:
            bad.append("links to no other page")
        for href in internal:
            target_url, fragment = urldefrag(href)
            rel = unquote(urlsplit(target_url).path).lstrip("/")
            target = site.folder / rel
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                bad.append(f"{href}: no file {rel}")
            elif fragment and target.suffix == ".html":
                known = ids_of(target) | (v.ids if target == site.folder / p else set())
                if unquote(fragment) not in known:
                    bad.append(f"{href}: no element with id or name {unquote(fragment)!r} on {rel}")
    return problems


def banner_problems(site: Site) -> Problems:
    """With simulated data (the cohort config says so), the banner is at the top of every
    page, visible, and says so; with real data there is no such banner."""
    simulated = site.config.simulated
    problems: Problems = {}
    for p, v in site.visits.items():
        b = v.banner
        if simulated and b is None:
            problems[p] = ["no announcement banner"]
        elif simulated and not (b["visible"] and b["text"].startswith("Simulated data")):
            problems[p] = [f"the banner is hidden or not about simulated data: {b}"]
        elif simulated and b["top"] > 5:
            problems[p] = [f"the banner is not at the top of the page: {b}"]
        elif not simulated and b and "Simulated data" in b["text"]:
            problems[p] = ["real data, yet the banner says simulated"]
    return problems


def axe_problems(site: Site) -> Problems:
    """axe-core finds no violation of impact serious or critical."""
    def targets(nodes):
        shown = "; ".join(" ".join(map(str, n["target"])) for n in nodes[:8])
        return shown + (f" (+{len(nodes) - 8} more)" if len(nodes) > 8 else "")

    return {p: [f"{x['id']} ({x['impact']}): {x['help']} -- targets: {targets(x['nodes'])}"
                for x in v.axe_violations if x.get("impact") in SERIOUS]
            for p, v in site.visits.items()}


def axe_request_problems(site: Site) -> Problems:
    """Running axe-core fetched no script and nothing from another host."""
    return {p: [u for u in v.axe_requests if not u.startswith(site.url) or ".js" in urlsplit(u).path]
            for p, v in site.visits.items()}


def phone_problems(site: Site) -> Problems:
    """At 390 px the page never scrolls sideways and nothing is cut off out of reach:
    what is wider than the screen (a wide table, code) scrolls in its own box."""
    problems: Problems = {}
    for p, v in site.visits.items():
        o = v.overflow
        problems[p] = ([f"the page is {o['scroll_width']} px wide on a {o['viewport']} px screen"]
                       if o["scroll_width"] > o["viewport"] + 1 else [])
        problems[p] += [f"wider than the screen: {e}" for e in o["widening"]]
        problems[p] += [f"cut off: {e}" for e in o["clipped"]]
    return problems


def screenshot_problems(site: Site) -> Problems:
    """A full-page screenshot at each width was saved."""
    from PIL import Image

    problems: Problems = {}
    for p, v in site.visits.items():
        problems[p] = []
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            path = v.screenshots.get(width)
            if not path or not path.is_file():
                problems[p].append(f"no {width} screenshot")
                continue
            with Image.open(path) as im:
                if im.width != viewport["width"] or im.height < viewport["height"]:
                    problems[p].append(f"{path.name} is {im.size}, not a full page {viewport['width']} px wide")
    return problems


def csv_problems(site: Site) -> Problems:
    """Every result table links to its CSV, which the server returns and parses as CSV
    with a header row."""
    problems: Problems = {}
    for p, v in site.visits.items():
        bad = problems.setdefault(p, [])
        for t in v.tables:
            if not t["csv"]:
                bad.append(f"table #{t['id']}: no link to download it as CSV")
            for link in t["csv"]:
                href = link["href"]
                if not href.startswith(site.url):
                    bad.append(f"table #{t['id']}: the CSV link leaves the site: {href}")
                    continue
                if "CSV" not in link["text"]:
                    bad.append(f"table #{t['id']}: the link does not say it is a CSV: {link['text']!r}")
                try:
                    with urllib.request.urlopen(href, timeout=10) as r:
                        rows = list(csv.reader(io.StringIO(r.read().decode("utf-8-sig"))))
                except (OSError, UnicodeDecodeError, csv.Error) as exc:
                    bad.append(f"table #{t['id']}: {href}: {exc}")
                    continue
                if not rows or not any(c.strip() for c in rows[0]):
                    bad.append(f"table #{t['id']}: {href} has no header row")
                elif any(len(r) != len(rows[0]) for r in rows[1:]):
                    bad.append(f"table #{t['id']}: {href} has rows longer or shorter than its header")
    return problems


def assert_none(problems: Problems, what: str) -> None:
    shown = "\n".join(f"{page}:\n    " + "\n    ".join(items) for page, items in problems.items() if items)
    assert not shown, f"{what}:\n{shown}"


PAGE_CHECKS: dict[str, tuple[Callable[[Site], Problems], str]] = {
    "loads": (load_problems, "pages with console errors or failed requests"),
    "offline": (offline_problems, "requests for other hosts (a page must carry its assets)"),
    "images": (image_problems, "images not loaded or without alt text"),
    "links": (link_problems, "broken internal links or anchors"),
    "banner": (banner_problems, "pages without a visible simulated-data banner"),
    "axe": (axe_problems, "axe-core violations of impact serious or critical"),
    "axe-offline": (axe_request_problems, "requests made by axe-core"),
    "phone": (phone_problems, "pages that do not fit a phone screen"),
    "screenshots": (screenshot_problems, "missing screenshots"),
    "csv": (csv_problems, "result tables without a working CSV download"),
}


# ---------------------------------------------------------------------------------------
# every page of the default site


def test_every_page_loads_without_errors(default: Site):
    assert_none(load_problems(default), PAGE_CHECKS["loads"][1])


def test_no_request_leaves_the_machine(default: Site):
    assert_none(offline_problems(default), PAGE_CHECKS["offline"][1])


def test_every_image_loads_and_has_alt_text(default: Site):
    assert default.visits["intro.html"].images, "the landing page shows the SRI-4 figure"
    assert_none(image_problems(default), PAGE_CHECKS["images"][1])


def test_every_internal_link_and_anchor_resolves(default: Site):
    assert_none(link_problems(default), PAGE_CHECKS["links"][1])


def test_simulated_data_banner_is_visible(default: Site):
    assert default.config.simulated, "the default cohort is simulated"
    assert_none(banner_problems(default), PAGE_CHECKS["banner"][1])


def test_no_serious_accessibility_violation(default: Site):
    assert_none(axe_problems(default), PAGE_CHECKS["axe"][1])


def test_axe_runs_offline(default: Site):
    assert_none(axe_request_problems(default), PAGE_CHECKS["axe-offline"][1])


def test_pages_fit_a_phone_screen(default: Site):
    assert_none(phone_problems(default), PAGE_CHECKS["phone"][1])


def test_screenshots_at_desktop_and_phone_width(default: Site):
    assert_none(screenshot_problems(default), PAGE_CHECKS["screenshots"][1])


def test_every_results_table_has_a_csv_download(default: Site):
    assert sum(len(v.tables) for v in default.visits.values()) >= 6, "the chapters show result tables"
    assert_none(csv_problems(default), PAGE_CHECKS["csv"][1])


# ---------------------------------------------------------------------------------------
# the landing page's numbers


GLUE = re.compile(r"\{glue:text\}`(?:[^`]*?::)?(?P<name>[^`:]+)(?::(?P<fmt>[^`]*))?`")


def key_results_rows(landing_md: str) -> list[list[str]]:
    """The cells of the "Key results" list-table in the landing page's source."""
    block = re.search(r"## Key results\s+```\{list-table\}[^\n]*\n(.*?)\n```", landing_md, re.S)
    assert block, "the landing page has a Key results list-table"
    rows: list[list[str]] = []
    for line in block.group(1).splitlines():
        if line.startswith(":"):
            continue
        if line.startswith("* - "):
            rows.append([line[4:]])
        elif line.strip().startswith("- ") and rows:
            rows[-1].append(line.strip()[2:])
        elif line.strip() and rows:
            rows[-1][-1] += " " + line.strip()
    return rows


def glue_format(value: object, fmt: str) -> str:
    """A value formatted as myst-nb's ``{glue:text}`` does (``s`` takes any value as text)."""
    return format(str(value), fmt) if fmt.endswith("s") else format(value, fmt)


def check_key_results(site: Site, browser) -> tuple[dict, str]:
    """The Key results table of intro.html shows, value by value, what results.json
    holds, formatted as the landing page's source asks; returns results and the table's
    text."""
    results = json.loads((site.folder / "results.json").read_text(encoding="utf-8"))
    landing = site.config.landing
    rows = key_results_rows(landing.read_text(encoding="utf-8"))
    cited = [(m["name"], m["fmt"] or "") for row in rows for cell in row for m in GLUE.finditer(cell)]
    assert cited, "the Key results table cites glued values"
    missing = sorted({n for n, _ in cited} - set(results))
    assert not missing, f"{landing.name} cites values results.json lacks: {missing}"

    context, page, _ = open_page(browser, site.url + "intro.html", site.url, DESKTOP)
    try:
        table = page.locator("section#key-results table")
        assert table.count() == 1, "one Key results table on intro.html"
        shown = table.locator("span.pasted-text").all_inner_texts()
        cells = table.evaluate("t => [...t.rows].map(r => [...r.cells].map(c => c.innerText))")
    finally:
        context.close()

    # the values, one by one, in the order the source cites them
    assert len(shown) == len(cited), (shown, cited)
    for text, (name, fmt) in zip(shown, cited, strict=True):
        want = glue_format(results[name], fmt)
        assert text.strip() == want, f"{name}: the page shows {text!r}, results.json has {results[name]!r} ({want!r})"

    # and each row whole, with the words around them
    def filled(cell: str) -> str:
        return " ".join(GLUE.sub(lambda m: glue_format(results[m["name"]], m["fmt"] or ""), cell).replace("**", "").split())

    assert [[" ".join(c.split()) for c in row] for row in cells] == [[filled(c) for c in row] for row in rows]
    return results, " | ".join(" | ".join(r) for r in cells)


def test_landing_page_shows_the_values_of_results_json(default: Site, chromium):
    results, text = check_key_results(default, chromium)
    # the headline read off the page as a reader would, against results.json
    m = re.search(r"(\d+) of (\d+) \((\d+\.\d)%; 95% CI (\d+\.\d)% to (\d+\.\d)%\)", text)
    assert m, text
    assert (int(m[1]), int(m[2])) == (results["primary_responders"], results["primary_n"])
    for shown, name in zip(m.groups()[2:], ("primary_rate", "primary_ci_low", "primary_ci_high"), strict=True):
        assert float(shown) / 100 == pytest.approx(results[name], abs=5e-4), name
    m = re.search(r"(\d+) patients enrolled, (\d+) treated", text)
    assert m and (int(m[1]), int(m[2])) == (results["n_enrolled"], results["n_treated"]), text


# ---------------------------------------------------------------------------------------
# the adverse-event listing: an interactive table


def _listing_state(page) -> dict:
    return page.evaluate("""() => {
      const w = document.querySelector('#ae-listing');
      const t = w.querySelector('table.dataTable');
      const info = w.querySelector('.dt-info, .dataTables_info');
      return {heads: [...t.tHead.rows[0].cells].map(c => c.innerText.trim()),
              rows: [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim())),
              info: info ? info.innerText : ''};
    }""")


_INFO = "document.querySelector('#ae-listing .dt-info, #ae-listing .dataTables_info').innerText"


def _wait_for_info(page, previous: str) -> None:
    """Wait until the listing's row count line differs from ``previous`` (the table has
    redrawn after a search), instead of sleeping a fixed time."""
    page.wait_for_function(f"prev => {_INFO} !== prev", arg=previous, timeout=10_000)


def _total(info: str) -> int:
    m = re.search(r"of ([\d,]+) entr", info)
    assert m, f"no row count in {info!r}"
    return int(m.group(1).replace(",", ""))


def check_listing_search(page) -> None:
    """The listing is a DataTable whose search box filters its rows."""
    listing = page.locator("#ae-listing")
    assert listing.locator("table.dataTable").count() == 1, "the AE listing is a DataTable (itables)"
    before = _listing_state(page)
    total = _total(before["info"])
    assert total > 1 and before["rows"], before["info"]
    search = listing.locator("input[type=search]")
    assert search.count() == 1, "the listing has a search box"
    term = before["rows"][0][before["heads"].index("Preferred term")]
    search.fill(term)
    _wait_for_info(page, before["info"])
    after = _listing_state(page)
    assert 0 < _total(after["info"]) < total, f"searching {term!r}: {after['info']}"
    assert all(term.lower() in " ".join(r).lower() for r in after["rows"]), after["rows"]
    search.fill("")
    _wait_for_info(page, after["info"])
    assert _total(_listing_state(page)["info"]) == total


def check_listing_sort(page, target: str) -> None:
    """Clicking the "Day" header sorts the listing by day; clicking again reverses it.

    ``target`` is where in the header cell: ``"control"``, its sort button, or
    ``"name"``, the column's name (where most readers click).
    """
    before = _listing_state(page)
    day = before["heads"].index("Day")
    th = page.locator("#ae-listing table.dataTable thead th").nth(day)
    spot = th.locator(".dt-column-order" if target == "control" else ".dt-column-title")
    assert spot.count() == 1, th.inner_html()
    original = [r[day] for r in before["rows"]]
    icon_only = th.get_attribute("data-dt-order") == "icon-only"
    orders = []
    for direction in ("asc", "desc"):
        spot.click()
        # DataTables marks the header it sorts by: wait for the mark, not a fixed delay.
        with contextlib.suppress(Exception):  # a header that does not sort is reported below
            page.wait_for_function(
                "([i, cls]) => document.querySelectorAll('#ae-listing table.dataTable thead th')[i].classList.contains(cls)",
                arg=[day, f"dt-ordering-{direction}"], timeout=10_000)
        orders.append([r[day] for r in _listing_state(page)["rows"]])
    up, down = orders
    assert up != original or down != original, (
        f"clicking the Day column's {target} does not change the order {original}"
        + (" (the header sorts only from its arrows: data-dt-order=icon-only)" if icon_only else ""))
    assert [float(x) for x in up] == sorted(float(x) for x in up), up
    assert [float(x) for x in down] == sorted((float(x) for x in down), reverse=True), down


def test_adverse_event_listing_is_searchable_and_sortable(site_url: str, chromium):
    context, page, visit = open_page(chromium, site_url + "chapters/safety.html", site_url, DESKTOP)
    try:
        check_listing_search(page)
        check_listing_sort(page, "control")
    finally:
        context.close()
    assert not visit.left_machine and not visit.console_errors, (visit.left_machine, visit.console_errors)


def test_clicking_a_listing_column_name_sorts_it(site_url: str, chromium):
    """A reader clicks a column's name, not only the small arrows beside it."""
    context, page, _ = open_page(chromium, site_url + "chapters/safety.html", site_url, DESKTOP)
    try:
        check_listing_sort(page, "name")
    finally:
        context.close()


# ---------------------------------------------------------------------------------------
# opened straight from disk


@pytest.mark.parametrize("page_rel", ["intro.html", "chapters/sri.html", "chapters/safety.html"])
def test_pages_work_from_file_urls(default_site: Path, chromium, page_rel: str):
    origin = default_site.as_uri() + "/"
    context, page, visit = open_page(chromium, origin + page_rel, origin, DESKTOP)
    try:
        images = page.evaluate(IMAGES_JS)
        banner = page.evaluate(BANNER_JS)
        themed = page.evaluate("() => getComputedStyle(document.querySelector('.bd-sidebar-primary')).position")
        if page_rel == "chapters/safety.html":
            check_listing_search(page)
            check_listing_sort(page, "control")
    finally:
        context.close()
    outside = sorted({u for u in visit.requests if not is_local(u, origin)} | set(visit.left_machine))
    assert not outside, f"requests outside the site's folder: {outside}"
    assert not visit.failed, visit.failed
    assert not visit.console_errors, visit.console_errors
    assert images and all(i["width"] for i in images), images
    assert banner and banner["visible"], banner
    assert themed != "static", "the theme's style sheets did not apply"


def test_root_redirects_to_the_landing_page(default_site: Path, site_url: str, chromium):
    for origin in (site_url, default_site.as_uri() + "/"):
        context, page, visit = open_page(chromium, origin + REDIRECT, origin, DESKTOP)
        try:
            page.wait_for_url("**/intro.html", timeout=5000)
            assert page.locator("section#key-results").count() == 1
        finally:
            context.close()
        assert not visit.left_machine and not visit.failed, (visit.left_machine, visit.failed)


# ---------------------------------------------------------------------------------------
# the two-arm follow-up cohort's site: the same page checks


@pytest.mark.parametrize("check", list(PAGE_CHECKS))
def test_followup_site_pages(followup: Site, check: str):
    problems, what = PAGE_CHECKS[check]
    assert_none(problems(followup), f"{FOLLOWUP_COHORT}: {what}")


def test_followup_landing_page_shows_the_values_of_results_json(followup: Site, chromium):
    check_key_results(followup, chromium)


def test_followup_listing_is_searchable_and_sortable(followup_url: str, chromium):
    context, page, _ = open_page(chromium, followup_url + "chapters/safety.html", followup_url, DESKTOP)
    try:
        check_listing_search(page)
        check_listing_sort(page, "control")
    finally:
        context.close()


# ---------------------------------------------------------------------------------------
# text from cohort.yml never runs as script (issue #11)


def test_hostile_cohort_text_never_runs_as_script(chromium, tmp_path: Path):
    import subprocess
    import sys

    from tinybook import make_book

    book = make_book(tmp_path / "book")
    cohort = book / "data" / "<img src=x onerror=alert(5)>"
    (book / "data" / "tiny").rename(cohort)
    (cohort / "cohort.yml").write_text(
        'title: "T <img src=x onerror=alert(1)>"\nlabel: "L <img src=x onerror=alert(2)>"\n'
        'registry: "R <script>alert(3)</script>"\nsimulated: true\ncontract: adam\narms: [A]\nchapters: [cohort]\n'
        "description: |\n  ```\n  <script>alert(4)</script>\n")
    out = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "helpers", "build", str(cohort), "--root", str(book), "-j", "1",
                           "--output", str(out)], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    dialogs: list[str] = []
    server = serve(out.resolve())
    url = next(server)
    context = chromium.new_context()
    try:
        for name in site_pages(out.resolve()):
            page = context.new_page()
            page.on("dialog", lambda d, name=name: (dialogs.append(f"{name}: {d.message}"), d.dismiss()))
            page.goto(url + name, wait_until="load")
            page.close()
    finally:
        context.close()
        server.close()
    assert not dialogs, dialogs
