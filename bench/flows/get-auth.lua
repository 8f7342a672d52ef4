-- wrk script: GET with a bearer token from the environment (FLOWS_TOKEN); done() from summary.lua.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("FLOWS_TOKEN") or "")

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "summary.lua")
