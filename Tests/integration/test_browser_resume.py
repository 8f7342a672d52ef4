"""Uploads that survive the page (issue 21), in a real browser: Debian's Chromium driven by
Selenium, the demo page (client/demo/) served by nginx beside presignd -> PostgreSQL 15, parts
sent to ministack (AUTH=true) through a counting proxy that sees every byte the store receives.

What is proved: a 300 MiB upload whose browser is killed at about half way is resumed by a new
browser on the same profile when the user picks the same file again: the page lists it as
unfinished, sends at most 60 % of the file after the restart, and the bytes at the store are the
file's; a part replaced at the store by one of the wrong size in between is found and sent again;
another file under the same name and size is not spliced into the old upload; the network switched
off mid-upload (DevTools) makes the page wait and say so, and the upload completes when it is back;
pause stops the parts under way and resume finishes it (screenshots of both kept in artifacts/)."""
import hashlib
import os
import subprocess
import pathlib
import time

import pytest
import requests

from harness import browser as harness_browser
from harness.browser import wait_until
from harness.common import media_file
from harness.stack import migrate, stack_env

if harness_browser.missing():
    pytest.skip(harness_browser.missing(), allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402

from harness.demo_page import JWT_SECRET, choose_file, finished, open_demo, progress, token  # noqa: E402

ARTIFACTS = pathlib.Path(__file__).resolve().parent / "artifacts"
MiB = 1024 * 1024
PART = 8 * MiB
PURPOSES = {"document": {"prefix": "documents", "maxSize": 512 * MiB}}


@pytest.fixture(scope="module")
def env(postgres, ministack, proxy):
    env = stack_env(postgres, ministack, PURPOSES, JWT_SECRET, AWS_ENDPOINT_URL_S3=proxy.url,
                    PRESIGND_MULTIPART_PART_SIZE=str(PART))
    migrate(env)
    return env


@pytest.fixture(scope="module")
def base(env, ministack, module_stack):
    _, nginx = module_stack("resume-browser", env, workers=2, threads=16, extra_server_lines=harness_browser.STATIC_LOCATION)
    harness_browser.bucket_setup(env, nginx.url)
    yield nginx.url
    ministack.client().delete_bucket_cors(Bucket=ministack.bucket)


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MiB), b""):
            h.update(chunk)
    return h.hexdigest()


def pending(driver):
    return [(row.get_attribute("data-file-name"), row.get_attribute("data-file-id"))
            for row in driver.find_elements(By.CSS_SELECTOR, "[data-testid=pending-upload]")]


def downloaded_digest(base, file_id, user="alice"):
    d = requests.get(f"{base}/api/documents/{file_id}/download", headers={"Authorization": f"Bearer {token(user)}"}, timeout=30)
    assert d.status_code == 200, d.text
    h = hashlib.sha256()
    with requests.get(d.json()["url"], stream=True, timeout=120) as r:
        for chunk in r.iter_content(MiB):
            h.update(chunk)
    return h.hexdigest()


def uploading(driver, base, path, at_percent, user="alice", timeout=120):
    """The demo page in `driver`, `path` picked, under way until the page shows `at_percent`; its row."""
    open_demo(driver, base, user)
    row = choose_file(driver, path, purpose="document", method="")
    wait_until(lambda: progress(row)[0] >= at_percent, timeout=timeout, message=f"{at_percent} %")
    return row


def killed_half_way(base, profile, path, at_percent=50, user="alice"):
    """A browser on `profile` picks `path` and is killed (SIGKILL) once the page shows `at_percent`."""
    driver = harness_browser.chromium(profile=profile)
    try:
        uploading(driver, base, path, at_percent, user)
    finally:
        harness_browser.kill(driver)


def resumed(base, profile, path, user="alice"):
    """A new browser on `profile` lists the unfinished upload and picks `path` again; returns
    (driver, row, time of the pick)."""
    driver = harness_browser.chromium(profile=profile)
    open_demo(driver, base, user)
    wait_until(lambda: (path.name, ) == tuple(n for n, _ in pending(driver)[:1]), message="the unfinished upload listed")
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"resume-after-reload-{path.stem}.png"))
    picked = time.monotonic()
    row = choose_file(driver, path, purpose="document", method="")
    return driver, row, picked


def test_a_killed_browser_resumes_300_mib_sending_at_most_60_percent(base, proxy, tmp_path):
    path = media_file(tmp_path / "holiday.mp4", 300 * MiB + 12345, b"holiday")
    profile = tmp_path / "profile"
    killed_half_way(base, profile, path)
    before = time.monotonic()
    driver, row, picked = resumed(base, profile, path)
    try:
        assert finished(row, timeout=300) == "done", row.text
        file_id = row.get_attribute("data-file-id")
        after = proxy.part_puts(before)
        sent = sum(length for _, _, length in after)
        first_new_byte = min(at for at, _, _ in after) - picked
        print(f"\nresume: {sent / MiB:.1f} MiB sent after the restart of {path.stat().st_size / MiB:.1f} MiB "
              f"({sent / path.stat().st_size:.0%}); first part request {first_new_byte * 1000:.0f} ms after the pick")
        assert sent <= 0.6 * path.stat().st_size, sent
        assert downloaded_digest(base, file_id) == digest(path)
        driver.refresh()
        wait_until(lambda: driver.find_element(By.ID, "documents-state").get_attribute("data-loaded"), message="reload")
        assert pending(driver) == [], "forgotten once complete"
    finally:
        driver.quit()


def test_a_part_of_the_wrong_size_at_the_store_is_sent_again(base, proxy, ministack, postgres, tmp_path):
    path = media_file(tmp_path / "clip.mp4", 5 * PART + 777, b"clip")
    profile = tmp_path / "profile"
    killed_half_way(base, profile, path, at_percent=40)
    file_id, upload_id, key = postgres.psql("SELECT id, upload_id, object_key FROM documents WHERE status = 'uploading' "
                                            "AND file_name = 'clip.mp4' ORDER BY created_at DESC LIMIT 1")[0]
    parts = ministack.client().list_parts(Bucket=ministack.bucket, Key=key, UploadId=upload_id)["Parts"]
    assert parts, "some parts were sent before the kill"
    tampered = parts[0]["PartNumber"]
    ministack.client().upload_part(Bucket=ministack.bucket, Key=key, UploadId=upload_id, PartNumber=tampered, Body=b"x" * 1000)
    before = time.monotonic()
    driver, row, _ = resumed(base, profile, path)
    try:
        assert finished(row, timeout=120) == "done", row.text
        assert row.get_attribute("data-file-id") == file_id, "the same upload, resumed"
        assert tampered in [n for _, n, _ in proxy.part_puts(before)], "the tampered part was sent again"
        assert downloaded_digest(base, file_id) == digest(path)
    finally:
        driver.quit()


def test_another_file_with_the_same_name_and_size_is_not_spliced_in(base, postgres, tmp_path):
    (tmp_path / "a").mkdir()
    first = media_file(tmp_path / "a" / "report.mp4", 3 * PART, b"first")
    profile = tmp_path / "profile"
    killed_half_way(base, profile, first, at_percent=30)
    old_id = postgres.psql("SELECT id FROM documents WHERE status = 'uploading' AND file_name = 'report.mp4' "
                           "ORDER BY created_at DESC LIMIT 1")[0][0]
    (tmp_path / "b").mkdir()
    other = media_file(tmp_path / "b" / "report.mp4", 3 * PART, b"second")
    os.utime(other, (first.stat().st_atime, first.stat().st_mtime))
    driver, row, _ = resumed(base, profile, other)
    try:
        assert finished(row, timeout=120) == "done", row.text
        new_id = row.get_attribute("data-file-id")
        assert new_id != old_id, "a new upload, not the old one"
        assert downloaded_digest(base, new_id) == digest(other)
        # The old upload is still remembered (its file may be picked again), and still unfinished.
        wait_until(lambda: old_id in [i for _, i in pending(driver)], message="the old upload still listed")
        assert postgres.psql(f"SELECT status FROM documents WHERE id = '{old_id}'") == [["uploading"]]
    finally:
        driver.quit()


def test_offline_mid_upload_waits_and_completes_when_the_network_is_back(base, tmp_path):
    path = media_file(tmp_path / "tunnel.mp4", 6 * PART, b"tunnel")
    driver = harness_browser.chromium()
    try:
        row = uploading(driver, base, path, 20, timeout=60)
        driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
        status = row.find_element(By.CSS_SELECTOR, "[data-testid=upload-status]")
        wait_until(lambda: status.get_attribute("data-state") == "offline", timeout=30, message="the page to say offline")
        time.sleep(2)
        assert status.get_attribute("data-state") == "offline", "still waiting, not failed"
        driver.delete_network_conditions()
        driver.set_network_conditions(offline=False, latency=0, download_throughput=-1, upload_throughput=-1)
        assert finished(row, timeout=120) == "done", row.text
        assert downloaded_digest(base, row.get_attribute("data-file-id")) == digest(path)
    finally:
        driver.quit()


def test_pause_and_resume_with_screenshots(base, proxy, tmp_path):
    path = media_file(tmp_path / "lecture.mp4", 12 * PART, b"lecture")
    driver = harness_browser.chromium()
    try:
        # Past 40 %, at least one part has finished: the 4 parts under way hold at most 32 MiB of
        # the 96 (33 %), and what a pause stops is sent again, so only finished parts stay counted.
        row = uploading(driver, base, path, 40, timeout=60)
        row.find_element(By.CSS_SELECTOR, "[data-testid=pause]").click()
        status = row.find_element(By.CSS_SELECTOR, "[data-testid=upload-status]")
        assert status.get_attribute("data-state") == "paused"
        time.sleep(0.5)
        paused_at = time.monotonic()
        time.sleep(1.5)
        assert proxy.part_puts(paused_at) == [], "nothing is sent while paused"
        remaining = int(row.find_element(By.CSS_SELECTOR, "[data-testid=remaining]").get_attribute("data-bytes"))
        assert 0 < remaining < path.stat().st_size
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "resume-paused.png"))
        row.find_element(By.CSS_SELECTOR, "[data-testid=pause]").click()
        assert finished(row, timeout=120) == "done", row.text
        driver.save_screenshot(str(ARTIFACTS / "resume-done.png"))
        assert downloaded_digest(base, row.get_attribute("data-file-id")) == digest(path)
    finally:
        driver.quit()


def test_an_abandoned_upload_is_swept_and_the_page_forgets_it(base, env, ministack, postgres, tmp_path):
    """Killed, never picked again: the sweeper aborts it at the store and releases its quota, and
    the page that opens next no longer lists it (the client asked presignd, which said it ended)."""
    path = media_file(tmp_path / "draft.mp4", 4 * PART, b"draft")
    profile = tmp_path / "profile"
    killed_half_way(base, profile, path, at_percent=30, user="erin")
    file_id, upload_id = postgres.psql("SELECT id, upload_id FROM documents WHERE owner_id = 'erin' AND status = 'uploading'")[0]
    time.sleep(2.1)  # rows keep whole seconds
    swept = subprocess.run([os.environ["PRESIGND_BINARY"], "sweep", "--older-than", "1"], env=env, capture_output=True, text=True,
                           timeout=60)
    assert swept.returncode == 0 and f"{file_id} uploading: abort multipart upload: done" in swept.stdout, swept.stdout + swept.stderr
    assert upload_id not in [u["UploadId"] for u in ministack.client().list_multipart_uploads(Bucket=ministack.bucket).get("Uploads", [])]
    assert postgres.psql("SELECT coalesce(sum(bytes), 0) FROM upload_usage WHERE owner_id = 'erin'") == [["0"]]
    driver = harness_browser.chromium(profile=profile)
    try:
        open_demo(driver, base, "erin")
        wait_until(lambda: driver.execute_script("return window.presigndDemo.client.pendingUploads()") == [],
                   message="the client to forget it")
        assert pending(driver) == []
    finally:
        driver.quit()
