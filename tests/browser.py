"""Headless Chromium for the real-browser tests, kept off the network.

Selenium drives Debian's ``chromium`` through ``/usr/bin/chromedriver`` given explicitly, with
Selenium Manager offline, so nothing is downloaded. Chromium resolves no host but the loopback
one, so a page that needed the network (a CDN script, a web font) shows it by failing.
"""

import contextlib
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from sysdeps import require_tool

ROOT = Path(__file__).resolve().parents[1]


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "build" / "test-artifacts"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps",
         "--no-default-browser-check", "--lang=en-US", "--window-size=1400,1000",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1")


@contextlib.contextmanager
def chromium(profile_dir):
    """A Selenium WebDriver on headless Chromium with a fresh profile in ``profile_dir``."""
    require_tool(CHROMIUM, "testes no navegador")
    require_tool(CHROMEDRIVER, "testes no navegador")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not fetch anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile_dir}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(predicate, timeout, message, interval=0.25):
    """Call ``predicate`` until it returns something truthy; fail with ``message`` after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(interval)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def server(argv, env, cwd, ready_url, log_path, timeout=60):
    """Run a server process until the block ends; wait until ``ready_url`` answers 200."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: proc.poll() is not None or http_ok(ready_url), timeout,
                     f"o servidor não respondeu em {timeout} s (log: {log_path})")
            assert proc.poll() is None, f"o servidor terminou (log: {log_path})"
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
