-- Not a wrk script: the done() every bench/flows/ script loads (dofile, from the script's own
-- folder). It prints the FLOWS line bench/common.py's wrk_summary reads. wrk counts answers other
-- than 2xx/3xx in summary.errors.status; printing it keeps a failing run from passing as a fast one.
function done(summary, latency, requests)
    io.write(string.format("FLOWS requests=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
        summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
