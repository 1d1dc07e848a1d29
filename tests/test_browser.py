"""The built docs site in a real browser (headless Chromium), with every other host cut off.

The site is built with ``mkdocs build --strict``, served on a free localhost port and
opened page by page in headless Chromium, driven through the DevTools protocol over a
pipe (no driver and no extra package). Every page must:

- typeset every formula (each ``.arithmatex`` element holds an ``mjx-container``, no
  ``\\(`` or ``\\[`` is left in the text outside code, no MathJax error node, no glyph
  without its font style) and load MathJax's fonts (none fails; a page with formulas has
  one loaded);
- load every image (``naturalWidth > 0``);
- load nothing from another host, and every request it makes must succeed.

The search box must find a word. A screenshot of each page is written to
``test-artifacts/browser/`` (git-ignored; the path is printed). The test skips, with the
reason, only where no Chromium is installed (``.ci/run`` installs Debian's ``chromium``).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import select
import shutil
import subprocess
import sys
import threading
import time
from base64 import b64decode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts" / "browser"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_S = 30.0

#: Run in every page once MathJax has finished: what the assertions need.
PAGE_REPORT = """
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await document.fonts.ready;
  const fonts = [...document.fonts];
  const math = [...document.querySelectorAll('.arithmatex')];
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest('code, pre, script, style, mjx-assistive-mml')) continue;
    if (/\\\\[(\\[]/.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 80));
  }
  return {
    mathjax: Boolean(window.MathJax && MathJax.version),
    formulas: math.length,
    typeset: document.querySelectorAll('mjx-container').length,
    untypeset: math.filter(e => !e.querySelector('mjx-container'))
                   .map(e => e.textContent.slice(0, 80)),
    blank: [...document.querySelectorAll('mjx-c')]
             .filter(c => ['none', ''].includes(getComputedStyle(c, '::before').content)
                          && c.textContent === '').length,
    errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
    mathFonts: fonts.filter(f => f.family.startsWith('MJX') && f.status === 'loaded').length,
    fontErrors: fonts.filter(f => f.status === 'error').map(f => f.family),
    raw: raw,
    images: [...document.images].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]),
  };
})()
"""


class Chromium:
    """A headless Chromium driven by the DevTools protocol over ``--remote-debugging-pipe``."""

    def __init__(self, executable: str, profile: Path, log: Path) -> None:
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            # every host name but the local server resolves to nothing: the network is cut off
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1280,1400",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
        ]
        # The protocol runs over file descriptors 3 (to the browser) and 4 (from it): a
        # small Python trampoline moves the pipe ends there and replaces itself by Chromium.
        trampoline = (
            "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
            "os.execv(sys.argv[3], sys.argv[3:])"
        )
        command = [str(to_browser_r), str(from_browser_w), executable, *flags]
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-c", trampoline, *command],
                pass_fds=(to_browser_r, from_browser_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._write = to_browser_w
        self._read = from_browser_r
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=TIMEOUT_S)
        os.close(self._write)
        os.close(self._read)

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise ConnectionError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)  # type: ignore[no-any-return]

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            command["sessionId"] = session
        os.write(self._write, json.dumps(command).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            message = self._message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]  # type: ignore[no-any-return]
            self.events.append(message)

    def wait_for_event(self, method: str, since: int) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while not any(e.get("method") == method for e in self.events[since:]):
            self.events.append(self._message(deadline))

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            session,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")


def _chromium() -> str | None:
    candidates = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"]
    return next((path for c in candidates if c and (path := shutil.which(c))), None)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Chromium, str]]:
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium found (install Debian's chromium, or set $CHROMIUM)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    chromium = Chromium(executable, profile, profile.parent / "chromium.log")
    try:
        target = chromium.call("Target.createTarget", url="about:blank")["targetId"]
        session = chromium.call("Target.attachToTarget", targetId=target, flatten=True)
        session_id: str = session["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            chromium.call(f"{domain}.enable", session_id)
        yield chromium, session_id
    finally:
        chromium.close()


def _pages(site: Path) -> list[str]:
    pages = sorted(p.relative_to(site).parent.as_posix() for p in site.rglob("index.html"))
    return ["" if p == "." else f"{p}/" for p in pages if not p.startswith("assets")]


def _open(chromium: Chromium, session: str, url: str) -> int:
    """Navigate to ``url`` and wait for its load event; return the index of its first event."""
    start = len(chromium.events)
    chromium.call("Page.navigate", session, url=url)
    chromium.wait_for_event("Page.loadEventFired", start)
    return start


def _requests(chromium: Chromium, since: int) -> tuple[list[str], list[str]]:
    """The URLs requested since event ``since``, and the requests that failed."""
    requested: list[str] = []
    failed: list[str] = []
    urls: dict[str, str] = {}
    for event in chromium.events[since:]:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
            requested.append(params["request"]["url"])
        elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
            failed.append(f"{params['response']['url']} (HTTP {params['response']['status']})")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            failed.append(f"{urls.get(params['requestId'], '?')} ({params['errorText']})")
    return requested, failed


def test_pages_render_offline(browser: tuple[Chromium, str], server: str, site: Path) -> None:
    chromium, session = browser
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pages = _pages(site)
    assert "approximation/" in pages
    total_formulas = 0
    for page in pages:
        start = _open(chromium, session, server + page)
        report = chromium.evaluate(session, PAGE_REPORT)
        where = f"page /{page}"
        assert report["mathjax"], f"{where}: MathJax did not load"
        assert report["untypeset"] == [], f"{where}: formulas left raw: {report['untypeset']}"
        assert report["raw"] == [], f"{where}: raw TeX delimiters in the text: {report['raw']}"
        assert report["errors"] == [], f"{where}: MathJax errors: {report['errors']}"
        assert report["blank"] == 0, f"{where}: {report['blank']} formula glyphs without a font"
        assert report["typeset"] >= report["formulas"]
        assert report["fontErrors"] == [], f"{where}: fonts that failed: {report['fontErrors']}"
        if report["formulas"]:
            assert report["mathFonts"] > 0, f"{where}: no MathJax font loaded"
        broken = [src for src, complete, width in report["images"] if not complete or width == 0]
        assert broken == [], f"{where}: images that did not load: {broken}"
        shot = chromium.call("Page.captureScreenshot", session, format="png")
        name = page.strip("/").replace("/", "_") or "index"
        (ARTIFACTS / f"{name}.png").write_bytes(b64decode(shot["data"]))
        requested, failed = _requests(chromium, start)
        foreign = [url for url in requested if not url.startswith((server, "data:", "blob:"))]
        assert foreign == [], f"{where}: requests to other hosts: {foreign}"
        assert failed == [], f"{where}: failed requests: {failed}"
        total_formulas += report["formulas"]
    assert total_formulas > 100  # the site is full of formulas: the check saw them
    print(f"\nscreenshots of {len(pages)} pages in {ARTIFACTS}")


def test_search_finds_a_word(browser: tuple[Chromium, str], server: str) -> None:
    chromium, session = browser
    _open(chromium, session, server)
    focused = chromium.evaluate(
        session,
        "(() => { const box = document.querySelector('input.md-search__input');"
        " if (!box) return false; box.focus(); return document.activeElement === box; })()",
    )
    assert focused, "the search box was not found or could not be focused"
    chromium.call("Input.insertText", session, text="Toeplitz")
    results: list[str] = []
    deadline = time.monotonic() + TIMEOUT_S
    while not results and time.monotonic() < deadline:
        time.sleep(0.2)
        results = chromium.evaluate(
            session,
            "[...document.querySelectorAll('.md-search-result__item a')]"
            ".map(a => a.getAttribute('href'))",
        )
    assert results, "typing 'Toeplitz' into the search box showed no result"
    assert any("convolution" in href for href in results), results
    shot = chromium.call("Page.captureScreenshot", session, format="png")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "search.png").write_bytes(b64decode(shot["data"]))
