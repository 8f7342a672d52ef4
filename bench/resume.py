"""Resuming after a crash (issue 21; not a test): a real Chromium (Debian's) on a kept profile picks
a RESUME_MB (300) MiB file in the demo page, is killed (SIGKILL) at a random point between 10 % and
90 % of the progress bar, and a new Chromium on the same profile picks the same file again, RESUME_KILLS
(10) times. The store (ministack) is reached through a counting proxy that counts the bytes of
every part it receives (a part cut off by the kill counts what arrived). Per run: where it was
killed, the MiB re-sent (every byte of a part received for that upload, less the file's size:
what was sent twice, lost parts included), as a share of the file, and the time from
the second pick to the first part request (hashing the file's first and last MiB, the resume call,
signing). PRESIGND_BINARY: the release presignd (bench/resume.sh builds it)."""
import os
import random
import statistics
import tempfile
import time

from common import SECRET, Stopping, start_peers  # noqa: F401  (puts the harness on sys.path)
from harness import browser
from harness.common import media_file
from harness.counting_proxy import CountingProxy
from harness.demo_page import JWT_SECRET, choose_file, finished, open_demo, progress
from harness.stack import migrate, stack_env, start_stack, stop_stack

MiB = 1 << 20
SIZE = int(os.environ.get("RESUME_MB", "300")) * MiB
KILLS = int(os.environ.get("RESUME_KILLS", "10"))
PART = 8 * MiB


def main():
    work = tempfile.mkdtemp(prefix="presignd-bench-resume-")
    rng = random.Random(int(os.environ.get("RESUME_SEED", "21")))
    with Stopping() as stopped:
        pg, s3 = start_peers(stopped)
        proxy = CountingProxy(s3.endpoint)
        stopped.append(proxy.stop)
        env = stack_env(pg, s3, {"document": {"prefix": "documents", "maxSize": 1 << 30}}, JWT_SECRET,
                        AWS_ENDPOINT_URL_S3=proxy.url, PRESIGND_MULTIPART_PART_SIZE=str(PART))
        migrate(env)
        server, nginx = start_stack(os.path.join(work, "stack"), env, workers=2, threads=16,
                                    extra_server_lines=browser.STATIC_LOCATION)
        stopped.append(lambda: stop_stack(server, nginx))
        browser.bucket_setup(env, nginx.url)
        path = media_file(os.path.join(work, "film.mp4"), SIZE, b"film")
        from pathlib import Path
        path = Path(path)
        rows = []
        for run in range(1, KILLS + 1):
            profile = os.path.join(work, f"profile-{run}")
            at = rng.randint(10, 90)
            started = time.monotonic()
            driver = browser.chromium(profile=profile)
            try:
                open_demo(driver, nginx.url, "alice")
                row = choose_file(driver, path, purpose="document", method="")
                browser.wait_until(lambda: progress(row)[0] >= at, timeout=300, message=f"{at} %")
            finally:
                browser.kill(driver)
            killed = time.monotonic()
            driver = browser.chromium(profile=profile)
            try:
                open_demo(driver, nginx.url, "alice")
                picked = time.monotonic()
                row = choose_file(driver, path, purpose="document", method="")
                assert finished(row, timeout=600) == "done", row.text
            finally:
                driver.quit()
            parts = proxy.part_puts(started)
            resent = sum(length for _, _, length in parts) - SIZE
            first = min(t for t, _, _ in proxy.part_puts(picked)) - picked
            before_kill = sum(length for t, _, length in parts if t < killed)
            rows.append((run, at, before_kill / SIZE, resent / MiB, resent / SIZE, first * 1000))
        print(f"## Resuming after the browser was killed ({KILLS} runs, a {SIZE / MiB:.0f} MiB file, {PART // MiB} MiB parts)\n")
        print("| run | killed at (progress bar) | part bytes received before the kill | MiB re-sent | share of the file | pick to first part request ms |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for run, at, before, mib, share, first in rows:
            print(f"| {run} | {at} % | {before:.0%} | {mib:.1f} | {share:.1%} | {first:.0f} |")
        shares = [r[4] for r in rows]
        firsts = [r[5] for r in rows]
        print(f"\nre-sent: mean {statistics.mean(shares):.1%}, max {max(shares):.1%} of the file; "
              f"pick to first part request: p50 {statistics.median(firsts):.0f} ms, max {max(firsts):.0f} ms")


if __name__ == "__main__":
    main()
