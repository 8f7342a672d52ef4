"""Time from the browser client's upload() to its first byte sent to S3, in a real headless
Chromium against the local stack (nginx + presignd + PostgreSQL + ministack on loopback).

Two clocks, each a median over --runs uploads of a --size byte file through the demo page:
  page:     performance.now() just before upload() to the first onProgress call, which the
            client makes at XMLHttpRequest's upload "loadstart" (presign round trip + building
            the request; the bytes go out next);
  network:  DevTools: the presign request's start to the moment Chromium began sending the
            S3 request (requestTime + sendStart; includes the connection to S3).
Run: PRESIGND_BINARY=.build/release/presignd .venv/bin/python bench/client_first_byte.py
"""
import argparse
import json
import os
import pathlib
import statistics
import tempfile

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from common import Stopping, start_peers, token
from harness import browser
from harness.browser import wait_until
from harness.stack import migrate, stack_env, start_stack, stop_stack

SECRET = "bench-client-secret-0123456789abcdef0123456789"


def network_first_byte(events, file_name):
    """(presign start → S3 send start) in ms from the DevTools log, or None."""
    presign = upload = None
    timings = {}
    for entry in events:
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            request = params["request"]
            if request["url"].endswith("/api/uploads/presign") and request["method"] == "POST" \
                    and file_name in request.get("postData", ""):
                presign = params
            elif presign and upload is None and request["method"] in ("POST", "PUT") and "/api/" not in request["url"]:
                upload = params
        elif message["method"] == "Network.responseReceived" and params.get("response", {}).get("timing"):
            timings[params["requestId"]] = params["response"]["timing"]
    if not (presign and upload and upload["requestId"] in timings):
        return None
    timing = timings[upload["requestId"]]
    return (timing["requestTime"] + timing["sendStart"] / 1000 - presign["timestamp"]) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", type=int, default=64 * 1024)
    parser.add_argument("--method", default="POST", choices=["POST", "PUT"])
    args = parser.parse_args()

    with Stopping() as started:
        postgres, stack = start_peers(started)
        env = stack_env(postgres, stack, None, SECRET)
        migrate(env)
        work = pathlib.Path(tempfile.mkdtemp(prefix="presignd-bench-client-"))
        server, proxy = start_stack(work, env, extra_server_lines=browser.STATIC_LOCATION)  # the demo page under /app/
        started.append(lambda: stop_stack(server, proxy))
        browser.bucket_setup(env, proxy.url)
        driver = browser.chromium(network_log=True)
        started.append(driver.quit)

        driver.get(f"{proxy.url}/app/demo/index.html#token={token('bench', secret=SECRET)}")
        wait_until(lambda: driver.find_element(By.ID, "documents-state").get_attribute("data-loaded"))
        Select(driver.find_element(By.CSS_SELECTOR, "[data-testid=purpose]")).select_by_value("document")
        Select(driver.find_element(By.CSS_SELECTOR, "[data-testid=method]")).select_by_value(args.method)
        page, network = [], []
        for run in range(args.runs + 2):  # the first two warm up connections and caches
            name = f"bench-{run:03d}.bin"
            path = work / name
            path.write_bytes(os.urandom(args.size))
            driver.get_log("performance")  # drop earlier events
            driver.find_element(By.CSS_SELECTOR, "[data-testid=file-input]").send_keys(str(path))
            row = wait_until(lambda: driver.find_element(By.CSS_SELECTOR, f"[data-testid=upload][data-file-name='{name}']"))
            status = row.find_element(By.CSS_SELECTOR, "[data-testid=upload-status]")
            state = wait_until(lambda: status.get_attribute("data-state") != "uploading" and status.get_attribute("data-state"))
            assert state == "done", row.text
            if run < 2:
                continue
            page.append(float(row.get_attribute("data-first-progress-ms")))
            measured = network_first_byte(driver.get_log("performance"), name)
            if measured is not None:
                network.append(measured)
        print(f"{args.runs} runs, {args.size} byte {args.method} uploads, Chromium {driver.capabilities.get('browserVersion')}")
        for label, values in (("page: upload() -> loadstart", page), ("network: presign start -> S3 send", network)):
            if values:
                print(f"  {label:36s} median {statistics.median(values):6.1f} ms  "
                      f"min {min(values):6.1f}  max {max(values):6.1f}  (n={len(values)})")


if __name__ == "__main__":
    main()
