"""SHA-256 with WebCrypto in a real headless Chromium (Debian's): what the browser client's
checksum costs a page. A secure-context page on loopback (crypto.subtle needs one) hashes
--size MiB of bytes read from a Blob, as the client does (blob.arrayBuffer(), then
crypto.subtle.digest), whole and in --part-mib MiB parts as a multipart upload would, --runs
times each; prints MB/s (median) and what hashing adds to an upload of that size.
Run: .venv/bin/python bench/browser_hash.py [--size 100] [--part-mib 8] [--runs 5]
"""
import argparse
import http.server
import statistics
import threading

import common  # noqa: F401  (puts Tests/integration on sys.path)
from harness import browser

SCRIPT = """
const [sizeMiB, partMiB, done] = arguments
const bytes = new Uint8Array(sizeMiB * 1048576)
for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(i + 65536, bytes.length)))
const blob = new Blob([bytes])
const time = async (f) => { const t = performance.now(); await f(); return performance.now() - t }
const whole = await time(async () => crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))
const parts = await time(async () => {
  for (let start = 0; start < blob.size; start += partMiB * 1048576)
    await crypto.subtle.digest('SHA-256', await blob.slice(start, start + partMiB * 1048576).arrayBuffer())
})
done({ whole, parts })
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100, help="MiB hashed")
    parser.add_argument("--part-mib", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>hash</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = browser.chromium()
    try:
        driver.set_script_timeout(300)
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/")
        driver_version = "Chromium " + driver.capabilities.get("browserVersion", "?") + " (headless)"
        script = "const a = arguments; (async () => {" + SCRIPT.replace(
            "const [sizeMiB, partMiB, done] = arguments", "const [sizeMiB, partMiB, done] = a") + "})()"
        runs = [driver.execute_async_script(script, args.size, args.part_mib) for _ in range(args.runs)]
    finally:
        driver.quit()
        server.shutdown()
    megabytes = args.size * 1048576 / 1e6
    whole = statistics.median(r["whole"] for r in runs)
    parts = statistics.median(r["parts"] for r in runs)
    print(f"SHA-256 in {driver_version}, {args.size} MiB from a Blob, median of {args.runs}:")
    print("| how | ms | MB/s |")
    print("| --- | ---: | ---: |")
    print(f"| whole (blob.arrayBuffer + digest) | {whole:.0f} | {megabytes / whole * 1000:.0f} |")
    print(f"| in {args.part_mib} MiB parts | {parts:.0f} | {megabytes / parts * 1000:.0f} |")


if __name__ == "__main__":
    main()
