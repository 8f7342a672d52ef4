"""The browser client (client/presignd.js) and its demo page in a real headless Chromium.

nginx serves client/ under /app/ on the same origin as /api/ (presignd over FastCGI), the
page uploads straight to a strict S3 server (ministack) whose bucket CORS rule allows that
origin, and the tests read the outcome back from the page, from PostgreSQL and from S3.
"""
import base64
import hashlib
import os
import pathlib
import time

import pytest
import requests

from harness import browser as harness_browser
from harness.browser import wait_until
from harness.common import CDN_DOMAIN, KEY_PAIR_ID, honest
from harness.stack import migrate, stack_env

if harness_browser.missing():
    pytest.skip(harness_browser.missing(), allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402

from harness.demo_page import (JWT_SECRET, PURPOSES, choose_file, finished, open_demo, png, progress, token,  # noqa: E402
                               upload_row)

ARTIFACTS = pathlib.Path(__file__).resolve().parent / "artifacts"
MiB = 1024 * 1024


def sql_text(value):
    return "'" + value.replace("'", "''") + "'"


# --- the stack --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stack(postgres, ministack, cloudfront_key, module_stack):
    """The demo stack: nginx serving client/ under /app/ next to /api/ (presignd)."""
    env = stack_env(
        postgres, ministack, PURPOSES, JWT_SECRET,
        PRESIGND_CDN_DOMAIN=CDN_DOMAIN,
        PRESIGND_CDN_PATH_PATTERN="/avatars/*",
        PRESIGND_CLOUDFRONT_KEY_PAIR_ID=KEY_PAIR_ID,
        PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=cloudfront_key[1],
        PGCONNECT_TIMEOUT="2",
    )
    migrate(env)
    _, proxy = module_stack("browser-stack", env, extra_server_lines=harness_browser.STATIC_LOCATION)
    proxy.presignd_env = env
    return proxy


@pytest.fixture(scope="module")
def bucket_cors(ministack, stack):
    """The bucket's CORS rule for the demo page's origin, set by `presignd bucket-setup` as an
    operator would (run-local.sh does the same)."""
    harness_browser.bucket_setup(stack.presignd_env, stack.url)
    yield stack.url
    ministack.client().delete_bucket_cors(Bucket=ministack.bucket)


@pytest.fixture(scope="module")
def base(stack, bucket_cors):
    """The demo page's origin, which is also the API's."""
    return stack.url


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def alice_browser(downloads):
    driver = harness_browser.chromium(download_dir=downloads)
    yield driver
    driver.quit()


@pytest.fixture
def alice(alice_browser):
    yield alice_browser
    try:
        alice_browser.delete_network_conditions()  # a test may have throttled it
    except Exception:
        pass


@pytest.fixture
def files(tmp_path):
    """Writes a file to feed to <input type=file>; returns its path."""
    def make(name, data):
        path = tmp_path / name
        path.write_bytes(data)
        return path
    return make


@pytest.fixture(scope="module")
def multipart_routes(base):
    """Skips unless this presignd build has the multipart upload routes."""
    r = requests.post(base + "/api/uploads/multipart", json={}, timeout=10,
                      headers={"Authorization": f"Bearer {token('alice')}"})
    if r.status_code == 404 and r.json().get("error", {}).get("code") == "not_found":
        pytest.skip("multipart routes not in this build")


# --- driving the page ---------------------------------------------------------------------------

def error_text(row):
    element = row.find_element(By.CSS_SELECTOR, "[data-testid=upload-error]")
    return element.text if element.is_displayed() else ""


def document_row(driver, file_id):
    for row in driver.find_elements(By.CSS_SELECTOR, "[data-testid=document]"):
        if row.get_attribute("data-id") == file_id:
            return row
    return None


def refresh_list(driver):
    state = driver.find_element(By.ID, "documents-state")
    before = state.get_attribute("data-loaded")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=refresh]").click()
    wait_until(lambda: state.get_attribute("data-loaded") != before, message="the list to reload")


def client_download_url(driver, file_id, disposition="attachment"):
    """The page's own client asks for the download URL (save: false)."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "presigndDemo.client.download(arguments[0], {disposition: arguments[1]})"
        ".then(done, (e) => done('error: ' + e.code + ' ' + e.message))", file_id, disposition)


def uploaded(driver, path, **choice):
    """Uploads through the page and checks it reached 100 %; returns the new document's id."""
    row = choose_file(driver, path, **choice)
    assert finished(row) == "done", error_text(row)
    assert progress(row) == (100, "100 %")
    file_id = row.get_attribute("data-file-id")
    wait_until(lambda: document_row(driver, file_id), message="the document in the list")
    return file_id


def saved_file(directory, name, timeout=30):
    """The file Chromium saved under its download directory once complete."""
    path = pathlib.Path(directory) / name
    wait_until(lambda: path.exists() and not list(pathlib.Path(directory).glob("*.crdownload")),
               timeout=timeout, message=f"{name} to be downloaded")
    return path.read_bytes()


def db_rows(postgres, file_name):
    return postgres.psql(f"SELECT status, declared_type, coalesce(actual_type, '') FROM documents "
                         f"WHERE file_name = {sql_text(file_name)} ORDER BY created_at")


# --- tests --------------------------------------------------------------------------------------

def test_post_upload_reaches_100_percent_and_downloads_the_same_bytes(alice, base, files, downloads, postgres):
    data = honest("pdf", 300 * 1024)
    path = files("quarterly report.pdf", data)
    open_demo(alice, base, "alice")
    file_id = uploaded(alice, path, purpose="document", method="POST")

    url = client_download_url(alice, file_id)
    got = requests.get(url, timeout=30)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Type"] == "application/pdf"
    assert db_rows(postgres, path.name) == [["ready", "application/pdf", "application/pdf"]]

    # The Download button (save: true) makes the browser save the file under its own name.
    document_row(alice, file_id).find_element(By.CSS_SELECTOR, "[data-testid=download]").click()
    assert saved_file(downloads, path.name) == data


def test_put_upload_sends_the_signed_headers(alice, base, files, postgres):
    data = b"%PDF-1.4\n" + os.urandom(200 * 1024)
    path = files("contract.pdf", data)
    open_demo(alice, base, "alice")
    file_id = uploaded(alice, path, purpose="document", method="PUT")
    got = requests.get(client_download_url(alice, file_id), timeout=30)
    assert got.status_code == 200 and got.content == data
    assert db_rows(postgres, path.name) == [["ready", "application/pdf", "application/pdf"]]


def test_a_checksummed_upload_binds_the_files_sha256(alice, base, files, postgres):
    """The client hashes the file with WebCrypto and declares it; presignd signs it into the PUT,
    ministack checks the bytes against it, and the row keeps it."""
    data = honest("pdf", 200 * 1024)
    path = files("checksummed.pdf", data)
    open_demo(alice, base, "alice")
    file_id = uploaded(alice, path, purpose="document", method="")
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert postgres.psql(f"SELECT checksum FROM documents WHERE id = '{file_id}'") == [[f"SHA256:{digest}"]]
    got = requests.get(client_download_url(alice, file_id), timeout=30)
    assert got.status_code == 200 and got.content == data


def test_file_without_a_type_uploads_as_octet_stream(alice, base, files, postgres):
    data = os.urandom(4096)
    path = files("LICENSE-DATA", data)  # no extension: the browser gives File.type ""
    open_demo(alice, base, "alice")
    assert alice.execute_script("return new File([''], 'LICENSE-DATA').type") == ""
    file_id = uploaded(alice, path, purpose="document")
    assert "application/octet-stream" in upload_row(alice, path.name).text
    got = requests.get(client_download_url(alice, file_id), timeout=30)
    assert got.content == data and got.headers["Content-Type"] == "application/octet-stream"
    assert db_rows(postgres, path.name) == [["ready", "application/octet-stream", "application/octet-stream"]]


def test_non_ascii_file_name_round_trips(alice, base, files, downloads):
    name = "résumé 東京.txt"
    data = "naïve café, 東京タワー\n".encode() * 50
    path = files(name, data)
    open_demo(alice, base, "alice")
    file_id = uploaded(alice, path, purpose="document", method="PUT")
    row = document_row(alice, file_id)
    assert row.find_element(By.CSS_SELECTOR, "[data-testid=document-name]").text == name
    listed = requests.get(base + "/api/documents", headers={"Authorization": f"Bearer {token('alice')}"}, timeout=10)
    assert [d["fileName"] for d in listed.json()["documents"] if d["id"] == file_id] == [name]
    row.find_element(By.CSS_SELECTOR, "[data-testid=download]").click()
    assert saved_file(downloads, name) == data


def test_wrong_type_for_avatar_shows_the_api_message(alice, base, files, postgres):
    open_demo(alice, base, "alice")
    for name, content_type in [("notes.txt", "text/plain"), ("face", "application/octet-stream")]:
        path = files(name, b"not an image\n")
        expected = requests.post(base + "/api/uploads/presign", timeout=10,
                                 headers={"Authorization": f"Bearer {token('alice')}"},
                                 json={"purpose": "avatar", "fileName": name, "contentType": content_type,
                                       "fileSize": path.stat().st_size})
        assert expected.status_code == 400
        row = choose_file(alice, path, purpose="avatar")
        assert finished(row) == "error"
        assert row.get_attribute("data-error-code") == "content_type_not_allowed"
        assert error_text(row) == expected.json()["error"]["message"]
        assert db_rows(postgres, name) == []


def test_shared_document_appears_for_bob_until_revoked(alice, base, files, ministack, postgres):
    data = honest("text", 10000)
    path = files("minutes.txt", data)
    open_demo(alice, base, "alice")
    file_id = uploaded(alice, path, purpose="document")

    row = document_row(alice, file_id)
    row.find_element(By.CSS_SELECTOR, "[data-testid=share-user]").send_keys("bob")
    row.find_element(By.CSS_SELECTOR, "[data-testid=share]").click()
    note = row.find_element(By.CSS_SELECTOR, "[data-testid=document-message]")
    wait_until(lambda: note.text == "shared with bob", message="the share to succeed")

    bob = harness_browser.chromium()
    try:
        open_demo(bob, base, "bob")
        shared = document_row(bob, file_id)
        assert shared is not None, "bob does not see the shared document"
        assert shared.find_element(By.CSS_SELECTOR, "[data-testid=document-owner]").text == "shared with you"
        assert shared.find_elements(By.CSS_SELECTOR, "[data-testid=delete]") == []
        assert requests.get(client_download_url(bob, file_id), timeout=30).content == data

        row.find_element(By.CSS_SELECTOR, "[data-testid=revoke]").click()
        wait_until(lambda: note.text == "no longer shared with bob", message="the revoke to succeed")
        refresh_list(bob)
        assert document_row(bob, file_id) is None
        assert client_download_url(bob, file_id).startswith("error: not_found ")
    finally:
        bob.quit()

    key = postgres.psql(f"SELECT object_key FROM documents WHERE id = '{file_id}'")[0][0]
    row.find_element(By.CSS_SELECTOR, "[data-testid=delete]").click()
    wait_until(lambda: document_row(alice, file_id) is None, message="the row to go")
    assert postgres.psql(f"SELECT count(*) FROM documents WHERE id = '{file_id}'") == [["0"]]
    with pytest.raises(Exception):
        ministack.client().head_object(Bucket=ministack.bucket, Key=key)


def throttle(driver, bytes_per_second):
    driver.set_network_conditions(offline=False, latency=5, download_throughput=bytes_per_second,
                                  upload_throughput=bytes_per_second)


def cancel_midway(driver, row):
    wait_until(lambda: 0 < progress(row)[0] < 90, timeout=30, message="the upload to be under way")
    row.find_element(By.CSS_SELECTOR, "[data-testid=cancel]").click()
    assert finished(row) == "cancelled"
    assert row.get_attribute("data-error-code") == "aborted"


def test_cancel_leaves_no_pending_upload(alice, base, files, postgres, ministack):
    path = files("huge-scan.bin", os.urandom(3 * MiB))
    open_demo(alice, base, "alice")
    throttle(alice, 512 * 1024)
    row = choose_file(alice, path, purpose="document")
    cancel_midway(alice, row)
    # The client cancels the upload on the server after the transfer stopped.
    wait_until(lambda: not [r for r in db_rows(postgres, path.name) if r[0] == "pending"],
               timeout=15, message="no pending row")
    assert all(r[0] not in ("pending", "ready") for r in db_rows(postgres, path.name))
    listed = ministack.client().list_objects_v2(Bucket=ministack.bucket, Prefix="documents/alice/")
    assert not [o for o in listed.get("Contents", []) if o["Size"] == 3 * MiB]


def test_page_on_another_origin_is_refused_by_the_bucket_cors(alice, base, files, ministack, postgres, stack):
    # Same nginx, same API, but the page's origin is http://localhost:PORT, which the bucket's
    # rule does not list: the browser's preflight to S3 is refused and nothing is stored.
    other = base.replace("127.0.0.1", "localhost")
    s3_url = f"{ministack.endpoint}/{ministack.bucket}/documents/alice/x"
    refused = requests.options(s3_url, timeout=10, headers={
        "Origin": other, "Access-Control-Request-Method": "POST"})
    allowed = requests.options(s3_url, timeout=10, headers={
        "Origin": base, "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 403 and allowed.status_code == 200

    s3 = ministack.client()
    before = {o["Key"] for o in s3.list_objects_v2(Bucket=ministack.bucket).get("Contents", [])}
    path = files("cross-origin.txt", b"should never arrive\n")
    open_demo(alice, base, "alice", origin=other, retryDelay=50)
    row = choose_file(alice, path, purpose="document")
    assert finished(row) == "error"
    assert row.get_attribute("data-error-code") == "network_error"
    assert "could not reach the storage" in error_text(row)
    assert progress(row)[0] < 100
    after = {o["Key"] for o in s3.list_objects_v2(Bucket=ministack.bucket).get("Contents", [])}
    assert after - before == set()
    assert "ready" not in [r[0] for r in db_rows(postgres, path.name)]


def test_multipart_upload_of_12_mib(alice, base, files, postgres, ministack, multipart_routes):
    data = honest("mp4", 12 * MiB + 12345)
    path = files("video.mp4", data)
    open_demo(alice, base, "alice", multipartThreshold=8 * MiB)
    file_id = uploaded(alice, path, purpose="document")
    got = requests.get(client_download_url(alice, file_id), timeout=60)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Type"] == "video/mp4"
    assert db_rows(postgres, path.name)[-1][:2] == ["ready", "video/mp4"]
    # The client hashed each part (WebCrypto) and each URL signed its SHA-256; the object keeps
    # the parts' composite.
    assert postgres.psql(f"SELECT checksum FROM documents WHERE id = '{file_id}'") == [["SHA256"]]
    key = postgres.psql(f"SELECT object_key FROM documents WHERE id = '{file_id}'")[0][0]
    kept = ministack.client().head_object(Bucket=ministack.bucket, Key=key, ChecksumMode="ENABLED")
    assert kept["ChecksumSHA256"].endswith("-2")


def test_cancel_of_a_multipart_upload_aborts_it(alice, base, files, postgres, ministack, multipart_routes):
    path = files("long-take.mov", honest("mp4", 12 * MiB))
    open_demo(alice, base, "alice", multipartThreshold=8 * MiB)
    throttle(alice, 1024 * 1024)
    row = choose_file(alice, path, purpose="document")
    cancel_midway(alice, row)
    # Under way means the multipart upload (and its row) exists; cancel must end it.
    wait_until(lambda: all(r[0] not in ("pending", "uploading") for r in db_rows(postgres, path.name)),
               timeout=15, message="the upload to be aborted")
    # Keys are documents/alice/<id>.mov; no other test uploads a .mov.
    in_progress = ministack.client().list_multipart_uploads(Bucket=ministack.bucket, Prefix="documents/alice/")
    assert [u["Key"] for u in in_progress.get("Uploads", []) if u["Key"].endswith(".mov")] == []


def test_cdn_cookies_are_refreshed_at_start_and_once_when_an_image_fails(alice, base, postgres):
    def issued():
        return int(postgres.psql("SELECT count(*) FROM audit_log WHERE action = 'cdn.cookies' AND actor = 'carol'")[0][0])
    open_demo(alice, base, "carol")
    wait_until(lambda: issued() == 1, timeout=10, message="cookies at start")
    alice.execute_script("const img = document.createElement('img');"
                         "img.src = '/app/no-such-image.png'; img.id = 'broken'; document.body.append(img)")
    wait_until(lambda: issued() == 2, timeout=10, message="cookies after the image failed")
    # The image is loaded again once; failing again refreshes nothing more.
    time.sleep(1)
    assert issued() == 2
    assert alice.execute_script("return document.getElementById('broken').naturalWidth") == 0


def test_avatar_shows_inline_and_the_page_renders(alice, base, files):
    path = files("me.png", png(96, 96))
    open_demo(alice, base, "alice")
    file_id = uploaded(alice, path, purpose="avatar")
    img = wait_until(lambda: document_row(alice, file_id).find_element(By.CSS_SELECTOR, "img[data-testid=thumb]"),
                     message="the avatar <img>")
    wait_until(lambda: alice.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) == 96,
               message="the avatar to decode")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "browser-demo.png"
    assert alice.save_screenshot(str(shot))
    assert shot.stat().st_size > 10000
