"""A headless Chromium driven by Selenium, and the nginx lines that serve client/ (the browser
client and its demo page) on the same origin as /api/."""
import os
import pathlib
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
CLIENT_DIR = ROOT / "client"
CHROMIUM = os.environ.get("PRESIGND_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PRESIGND_CHROMEDRIVER", "/usr/bin/chromedriver")

# client/ under /app/: /app/presignd.js and /app/demo/index.html. The types block is what
# a module script needs (a browser refuses to run a module served as application/octet-stream).
STATIC_LOCATION = f"""
        location /app/ {{
            alias {CLIENT_DIR}/;
            types {{
                text/html html;
                text/javascript js mjs;
                text/css css;
            }}
            add_header Cache-Control no-store;
        }}"""


def missing():
    """Why a browser cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (Debian packages chromium and chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed in this Python"
    return None


def chromium(download_dir=None, width=1280, height=1000, network_log=False, profile=None):
    """A headless Chromium (Selenium 4); the caller quits it. With network_log the DevTools
    Network events can be read with driver.get_log("performance"). With `profile` (a directory)
    the browser keeps its data there (IndexedDB included), so a browser started after it on the
    same directory finds what the page stored."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-extensions", "--lang=en-US"):
        options.add_argument(arg)
    if profile:
        options.add_argument(f"--user-data-dir={profile}")
    if download_dir:
        options.add_experimental_option("prefs", {
            "download.default_directory": str(download_dir),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        })
    # Browser console messages, so a failing test can show what the page logged.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", **({"performance": "ALL"} if network_log else {})})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def wait_until(predicate, timeout=30.0, interval=0.05, message="condition"):
    """Polls predicate() until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as error:  # the element may not exist yet
            last = error
        else:
            if last:
                return last
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {message} (last: {last!r})")


def bucket_setup(env, origin):
    """`presignd bucket-setup` for a page at `origin`, as an operator runs it: the bucket CORS rule
    a browser needs (POST forms and PUTs with any signed header, reading the ETag of a part upload)."""
    from .presignd import binary
    out = subprocess.run([binary(), "bucket-setup"], env=dict(env, PRESIGND_CORS_ORIGINS=origin),
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0 or "cors: set" not in out.stdout and "cors: unchanged" not in out.stdout:
        raise RuntimeError(f"presignd bucket-setup failed:\n{out.stdout}\n{out.stderr}")


def kill(driver):
    """Kills the browser as a crash would (SIGKILL to every Chromium process under its driver),
    then its driver."""
    import signal
    service = driver.service.process.pid

    def tree(pid):
        try:
            children = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            return []
        return [int(c) for c in children] + [g for c in children for g in tree(int(c))]
    for pid in tree(service):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        driver.quit()
    except Exception:  # the browser is gone: the driver cannot end its session
        driver.service.stop()
