-- wrk script: GET with a Cookie header from the environment (FLOWS_COOKIE), for the media route;
-- done() from summary.lua.
wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("FLOWS_COOKIE") or ""

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "summary.lua")
