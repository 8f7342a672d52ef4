-- wrk script: the soak's mix, round robin per connection: presign (POST policy + row + audit),
-- list the caller's documents, download one (lookup + audit + presigned GET). Token, body and
-- document id from the environment (FLOWS_TOKEN, FLOWS_BODY, FLOWS_DOCUMENT).
local token = "Bearer " .. (os.getenv("FLOWS_TOKEN") or "")
local body = os.getenv("FLOWS_BODY") or "{}"
local document = os.getenv("FLOWS_DOCUMENT") or ""
local counter = 0

function request()
    counter = counter + 1
    local kind = counter % 3
    if kind == 0 then
        return wrk.format("POST", "/api/uploads/presign", {["Authorization"] = token, ["Content-Type"] = "application/json"}, body)
    elseif kind == 1 then
        return wrk.format("GET", "/api/documents?limit=20", {["Authorization"] = token})
    end
    return wrk.format("GET", "/api/documents/" .. document .. "/download", {["Authorization"] = token})
end

function done(summary, latency, requests)
    io.write(string.format("FLOWS requests=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
        summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
