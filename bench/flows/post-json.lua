-- wrk script: POST a JSON body with a bearer token, both from the environment (FLOWS_TOKEN,
-- FLOWS_BODY); done() from summary.lua.
wrk.method = "POST"
wrk.body = os.getenv("FLOWS_BODY") or "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("FLOWS_TOKEN") or "")

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "summary.lua")
