"""What the browser client's checksums add to a multipart upload, measured end to end in a real
headless Chromium against the local stack (nginx + presignd + PostgreSQL + ministack on
loopback, ministack checking every part's SHA-256): the demo page uploads a --size MiB file in
--part-mib MiB parts, alternately with checksums (?checksum=1: each part hashed with WebCrypto
and signed with its digest, one signing call per part) and without (?checksum=0: parts signed in
one batch), --runs times each after one warm-up of each; prints the median time from upload()
to confirmed.
Run: PRESIGND_BINARY=.build/release/presignd .venv/bin/python bench/browser_checksum_upload.py
"""
import argparse
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
MIB = 1 << 20


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=100, help="MiB")
    parser.add_argument("--part-mib", type=int, default=8)
    args = parser.parse_args()

    with Stopping() as started:
        postgres, stack = start_peers(started)
        env = stack_env(postgres, stack, {"document": {"prefix": "documents", "maxSize": 2 * args.size * MIB}}, SECRET,
                        PRESIGND_MULTIPART_PART_SIZE=str(args.part_mib * MIB))
        migrate(env)
        work = pathlib.Path(tempfile.mkdtemp(prefix="presignd-bench-checksum-"))
        server, proxy = start_stack(work, env, extra_server_lines=browser.STATIC_LOCATION)
        started.append(lambda: stop_stack(server, proxy))
        browser.bucket_setup(env, proxy.url)
        driver = browser.chromium()
        started.append(driver.quit)
        times = {"1": [], "0": []}
        for run in range(args.runs + 1):
            for checksum in ("1", "0"):
                driver.get(f"{proxy.url}/app/demo/index.html?checksum={checksum}&multipartThreshold={MIB}"
                           f"#token={token('bench', secret=SECRET)}")
                wait_until(lambda: driver.find_element(By.ID, "documents-state").get_attribute("data-loaded"))
                Select(driver.find_element(By.CSS_SELECTOR, "[data-testid=purpose]")).select_by_value("document")
                name = f"bench-{run}-{checksum}.mp4"
                path = work / name
                path.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(args.size * MIB - 24))
                driver.find_element(By.CSS_SELECTOR, "[data-testid=file-input]").send_keys(str(path))
                row = wait_until(lambda: driver.find_element(By.CSS_SELECTOR, f"[data-testid=upload][data-file-name='{name}']"))
                status = row.find_element(By.CSS_SELECTOR, "[data-testid=upload-status]")
                state = wait_until(lambda: status.get_attribute("data-state") != "uploading" and status.get_attribute("data-state"),
                                   timeout=300)
                assert state == "done", row.text
                path.unlink()
                if run > 0:
                    times[checksum].append(float(row.get_attribute("data-duration-ms")))
        on, off = statistics.median(times["1"]), statistics.median(times["0"])
        print(f"{args.size} MiB multipart uploads in {args.part_mib} MiB parts, Chromium {driver.capabilities.get('browserVersion')} "
              f"(headless), loopback to ministack; median of {args.runs} each, alternated:")
        print("| checksums | upload() to confirmed, ms | runs |")
        print("| --- | ---: | --- |")
        print(f"| on (SHA-256 per part) | {on:.0f} | {', '.join(f'{t:.0f}' for t in times['1'])} |")
        print(f"| off | {off:.0f} | {', '.join(f'{t:.0f}' for t in times['0'])} |")
        print(f"added: {on - off:.0f} ms ({(on / off - 1) * 100:.1f} %)")


if __name__ == "__main__":
    main()
