"""The demo page (client/demo/index.html) as the browser tests run it: its stack's secret and
purposes, the token it is opened with, a real PNG for it to show, and picking a file the way a
user does. Imports Selenium: import it after checking harness.browser.missing()."""
import struct
import urllib.parse
import zlib

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .browser import wait_until
from .common import make_token

JWT_SECRET = "browser-test-secret-0123456789abcdef0123456789"
PURPOSES = {
    "avatar": {"prefix": "avatars", "maxSize": 1048576, "allowedType": "image/"},
    "image": {"prefix": "images", "maxSize": 10485760, "allowedType": "image/"},
    "document": {"prefix": "documents", "maxSize": 67108864},
}


def token(user):
    """A token the demo stack accepts, valid for 15 minutes."""
    return make_token(user, secret=JWT_SECRET, lifetime=900)


def png(width, height):
    """A real RGB PNG (a gradient) the browser can decode."""
    rows = b"".join(b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 160)) for x in range(width))
                    for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def choose_file(driver, path, purpose="document", method="POST"):
    """Picks a file as a user does; returns the page's row for that upload."""
    Select(driver.find_element(By.CSS_SELECTOR, "[data-testid=purpose]")).select_by_value(purpose)
    Select(driver.find_element(By.CSS_SELECTOR, "[data-testid=method]")).select_by_value(method)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=file-input]").send_keys(str(path))
    return wait_until(lambda: upload_row(driver, path.name), message=f"an upload row for {path.name}")


def upload_row(driver, name):
    for row in driver.find_elements(By.CSS_SELECTOR, "[data-testid=upload]"):
        if row.get_attribute("data-file-name") == name:
            return row
    return None


def finished(row, timeout=60):
    """Waits for the upload to end; returns its state (done, error, cancelled)."""
    status = row.find_element(By.CSS_SELECTOR, "[data-testid=upload-status]")
    return wait_until(lambda: status.get_attribute("data-state") != "uploading" and status.get_attribute("data-state"),
                      timeout=timeout, message="the upload to finish")


def open_demo(driver, base, user, origin=None, **params):
    query = urllib.parse.urlencode(params)
    # A URL that differs from the open one only after '#' would not load the page again, so a
    # test would inherit the previous one's page (its user, or an element it added).
    driver.get("about:blank")
    driver.get(f"{origin or base}/app/demo/index.html?{query}#token={token(user)}")
    wait_until(lambda: driver.find_element(By.ID, "documents-state").get_attribute("data-loaded"),
               message="the document list to load")


def progress(row):
    element = row.find_element(By.CSS_SELECTOR, "[data-testid=progress]")
    return int(element.get_attribute("data-progress")), element.text
