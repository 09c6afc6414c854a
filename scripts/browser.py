#!/usr/bin/env python3
"""Loads one page in a real headless Chromium and prints what the browser saw, as one JSON object.

    python3 scripts/browser.py URL --screenshot PATH [--header 'Name: value']... \
        [--window 1280x800] [--full-page] [--deadline 60]

Prints {"title", "text", "html", "console": [{"level", "source", "message"}], "load_ms",
"transfer_bytes", "body_bytes", "status", "headers", "screenshot"} on stdout and exits 0;
on any failure it prints the reason on stderr and exits non-zero.

- Debian's chromium and chromium-driver (scripts/services.sh installs them); selenium is given the
  driver's path, so Selenium Manager never downloads anything.
- A fresh temporary profile for every run, removed afterwards: nothing is cached between loads.
- `console` holds every browser log entry (console.* calls, uncaught errors, CSP violations,
  failed loads) but that of Chromium's own /favicon.ico request, which the page did not make.
- The viewport (and a window screenshot) is exactly --window WxH.
- `status` and `headers` are the main document's response as Chromium received it (the
  `Network.responseReceived` event of the main frame in the performance log); header names are
  lower-cased, repeated headers joined by a newline.
- `load_ms`, `transfer_bytes`, `body_bytes` come from the Navigation Timing entry
  (`loadEventEnd - startTime`, `transferSize`, `decodedBodySize`).
- A hard deadline covers everything: past it the script says so on stderr and kills its whole
  process group (itself, chromedriver, Chromium) with SIGKILL.
"""
import argparse
import base64
import json
import os
import signal
import sys
import tempfile
import time

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
except ImportError as e:
    print(f"browser.py: selenium is missing ({e}): pip install selenium (scripts/test.sh does)",
          file=sys.stderr)
    sys.exit(1)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def parse_args():
    p = argparse.ArgumentParser(description="Load a page in headless Chromium; print JSON.")
    p.add_argument("url")
    p.add_argument("--screenshot", required=True, help="PNG file to write")
    p.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra request header (repeatable)",
    )
    p.add_argument("--window", default="1280x800", metavar="WxH")
    p.add_argument("--full-page", action="store_true", help="screenshot the whole page")
    p.add_argument("--deadline", type=float, default=60.0, metavar="SECONDS")
    args = p.parse_args()
    headers = {}
    for h in args.header:
        name, sep, value = h.partition(":")
        if not sep or not name.strip():
            p.error(f"--header wants 'Name: value', got {h!r}")
        headers[name.strip()] = value.strip()
    args.headers = headers
    try:
        w, h = (int(n) for n in args.window.lower().split("x"))
    except ValueError:
        p.error(f"--window wants WxH, got {args.window!r}")
    args.size = (w, h)
    return args


def fail(message, code=1):
    print(f"browser.py: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def arm_deadline(seconds, url):
    """Past `seconds`, kills this process group: the script, chromedriver and Chromium."""
    try:
        if os.getpgrp() != os.getpid():
            os.setpgid(0, 0)
    except OSError:
        pass  # a session leader already; then only the script can be killed below

    def expired(_signum, _frame):
        print(f"browser.py: deadline of {seconds:g} s passed loading {url}", file=sys.stderr,
              flush=True)
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpid(), signal.SIGKILL)
        os._exit(3)  # not a group leader: chromedriver and Chromium outlive the script

    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def start_browser(size, profile):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        # Containers often have a tiny /dev/shm; Chromium then crashes on big pages.
        "--disable-dev-shm-usage",
        f"--window-size={size[0]},{size[1]}",
        # No scrollbar eating into the layout: the page is as wide as the window.
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--no-first-run",
        "--no-default-browser-check",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            fail(f"{path} is missing: install chromium and chromium-driver (scripts/test.sh does)")
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)


def fit_viewport(driver, size):
    """--window-size is the whole window; grow it by the browser's own frame so that the page's
    viewport (and a window screenshot) is exactly WxH."""
    frame = driver.execute_script(
        "return [outerWidth - innerWidth, outerHeight - innerHeight, innerWidth, innerHeight];"
    )
    if frame[2:] != list(size):
        driver.set_window_size(size[0] + frame[0], size[1] + frame[1])


def wait_loaded(driver, deadline):
    """Until readyState is complete and the load event has finished (loadEventEnd is set)."""
    while True:
        done = driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return document.readyState === 'complete' && !!n && n.loadEventEnd > 0;"
        )
        if done:
            return
        if time.monotonic() > deadline:
            fail("the page never finished loading")
        time.sleep(0.02)


def settle(driver):
    """Lets queued tasks run (late console messages, violation reports) before logs are read."""
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => setTimeout(done, 50));"
    )


def main_document(driver, url):
    """Status and headers of the main frame's document, from the performance log. Chromium's own
    error page (refused connection, unsafe port, …) is a failure, not a page."""
    main_frame = driver.execute_cdp_cmd("Page.getFrameTree", {})["frameTree"]["frame"]["id"]
    found, errors = None, []
    for entry in driver.get_log("performance"):
        event = json.loads(entry["message"])["message"]
        method, params = event.get("method"), event.get("params", {})
        if params.get("type") != "Document":
            continue
        if method == "Network.loadingFailed":
            errors.append(params.get("errorText", "?"))
        elif method == "Network.responseReceived" and params.get("frameId") == main_frame:
            if params["response"]["url"].startswith(("http:", "https:")):
                found = params["response"]  # the last one wins: the page after any redirects
    if found is None:
        fail(f"no HTTP response for the main document of {url} ({', '.join(errors) or 'no error'})")
    headers = {}
    for name, value in found["headers"].items():
        key = name.lower()
        headers[key] = f"{headers[key]}\n{value}" if key in headers else value
    return found["status"], headers


def console_entries(driver):
    """Every browser log entry but the one of Chromium's own /favicon.ico request, which the page
    did not make and which lands in the log or not depending on timing."""
    origin = driver.execute_script("return location.origin;")
    favicon = f"{origin}/favicon.ico "
    return [
        {"level": e["level"], "source": e.get("source", ""), "message": e["message"]}
        for e in driver.get_log("browser")
        if not (e.get("source") == "network" and e["message"].startswith(favicon))
    ]


def screenshot(driver, path, full_page):
    if full_page:
        metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
        )
        png = base64.b64decode(shot["data"])
    else:
        png = driver.get_screenshot_as_png()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(png)
    return os.path.abspath(path)


def main():
    args = parse_args()
    arm_deadline(args.deadline, args.url)
    deadline = time.monotonic() + args.deadline
    with tempfile.TemporaryDirectory(prefix="vitals-chromium-") as profile:
        driver = start_browser(args.size, profile)
        try:
            fit_viewport(driver, args.size)
            driver.set_page_load_timeout(args.deadline)
            driver.set_script_timeout(args.deadline)
            driver.execute_cdp_cmd("Network.enable", {})
            if args.headers:
                driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": args.headers})
            driver.get(args.url)
            wait_loaded(driver, deadline)
            settle(driver)
            page = driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0];"
                "return {title: document.title,"
                " text: document.body ? document.body.innerText : '',"
                " html: document.documentElement.outerHTML,"
                " load_ms: n.loadEventEnd - n.startTime,"
                " transfer_bytes: n.transferSize, body_bytes: n.decodedBodySize};"
            )
            status, headers = main_document(driver, args.url)
            console = console_entries(driver)
            shot = screenshot(driver, args.screenshot, args.full_page)
        finally:
            driver.quit()
    page.update(console=console, status=status, headers=headers, screenshot=shot)
    json.dump(page, sys.stdout)
    print()


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except WebDriverException as e:  # the browser's own message, without the driver's stack
        fail(f"{type(e).__name__}: {(e.msg or '').strip()}")
    except Exception as e:
        fail(f"{type(e).__name__}: {e}")
