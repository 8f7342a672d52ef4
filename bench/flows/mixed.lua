-- wrk script: the soak's mix, round robin per connection: presign (POST policy + row + audit),
-- list the caller's documents, download one (lookup + audit + presigned GET). Token, body and
-- document id from the environment (FLOWS_TOKEN, FLOWS_BODY, FLOWS_DOCUMENT); done() from
-- summary.lua.
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

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "summary.lua")
