"""Database failover (issue 11 §5): two real PostgreSQL 15 servers, a primary and a streaming
standby made with `pg_basebackup -R`, and presignd (release build, behind a real nginx) given
both in one libpq multi-host URL with `target_session_attrs=read-write`. Under load the primary
is stopped and the standby promoted: presignd answers 503 with Retry-After during the switch
(never 500), then serves from the new primary without a restart, and every write it
acknowledged is on the new primary with its audit row. Also: a planned switchover that fences
the old primary read-only first (25006 on a kept connection is a 503 and the connection goes),
and check-config accepting the multi-host URL. Loopback only; bounded loops; every process is
stopped by PID in a finally."""
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from harness.common import BINARY
from harness.failover import (LIVENESS_BOUND, FailoverStack, acknowledged_writes_on, first_write, list_documents,
                              presign, presignd_env, record, run_load, unexpected_answers, wait_for_write)


@pytest.mark.parametrize("crash", [False, True], ids=["primary-shut-down-async-replication",
                                                      "primary-crashed-synchronous-replication"])
def test_primary_stopped_standby_promoted_under_load(crash, tmp_path):
    with FailoverStack(tmp_path, synchronous=crash) as stack:
        base = stack.proxy.url
        supervisor, workers = stack.server.pid, sorted(stack.server.worker_pids())
        moments = {}

        def switch(records):
            time.sleep(1.0)
            moments["stop"] = time.monotonic()
            stack.primary.stop("immediate" if crash else "fast")
            moments["stopped"] = time.monotonic()
            time.sleep(0.5)  # the switch: no primary at all
            moments["promote"] = time.monotonic()
            stack.standby.promote()
            moments["promoted"] = time.monotonic()
            wait_for_write(records, moments["promote"])
            time.sleep(1.5)

        records = run_load(base, switch)
        statuses = [r["status"] for r in records]
        unexpected = unexpected_answers(records)
        assert unexpected == [], unexpected[:5]  # never a 500, 502, a dropped connection or a 503 without Retry-After
        assert any(r["status"] == 200 for r in records if r["end"] < moments["stop"]), "load was served before"
        during_switch = [r for r in records if moments["stopped"] <= r["start"] and r["end"] < moments["promote"]]
        assert during_switch and all(r["status"] == 503 for r in during_switch), statuses[:50]

        written = first_write(records, moments["promote"])
        assert written is not None, "no write succeeded after the promote"
        failover = written - moments["promote"]
        assert failover < LIVENESS_BOUND
        after = [r for r in records if r["start"] >= moments["promoted"]]
        assert after and all(r["status"] == 200 for r in after), [r for r in after if r["status"] != 200][:5]
        assert any(r["kind"] == "GET" for r in after) and any(r["kind"] == "POST" for r in after)

        assert not stack.standby.in_recovery()
        assert stack.server.pid == supervisor and sorted(stack.server.worker_pids()) == workers, \
            "presignd followed without a restart (same supervisor, same workers)"
        acked, no_row, no_audit = acknowledged_writes_on(stack.standby, records)
        assert no_row == [] and no_audit == [], (len(acked), no_row[:5], no_audit[:5])
        counts = {s: statuses.count(s) for s in set(statuses)}
        print(f"\nfailover ({'crash, synchronous' if crash else 'shutdown, asynchronous'} replication): "
              f"promote→first 200 write {failover * 1000:.0f} ms (pg_ctl promote {1000 * (moments['promoted'] - moments['promote']):.0f} ms), "
              f"stop→first 200 {1000 * (written - moments['stop']):.0f} ms; {counts}; "
              f"{len(acked)} acknowledged writes all on the new primary")



def test_switchover_fencing_the_old_primary_read_only(tmp_path):
    """A planned switchover: the old primary is fenced (default_transaction_read_only, still up,
    still answering reads), then the standby is promoted. A kept connection to the fenced
    primary refuses the next write with SQLSTATE 25006: the client gets 503 with Retry-After
    (not 500) and the connection is dropped; a kept connection that only reads is dropped once
    the server reports read-only. So no connection stays on the old primary, and writes land
    on the new one. One worker with two threads keeps the pool small enough to count."""
    with FailoverStack(tmp_path, workers=1, threads=2) as stack:
        base, session = stack.proxy.url, requests.Session()
        presignd_connections = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'presignd'"
        warm = [record("POST", time.monotonic(), presign(base, session)) for _ in range(4)]
        # Concurrent reads until the worker keeps two connections: the write below drops one,
        # the other is then one that only reads.
        for _ in range(20):
            if int(stack.primary.psql(presignd_connections)[0][0]) >= 2:
                break
            with ThreadPoolExecutor(2) as pool:  # no more at once than the worker's threads
                warm += list(pool.map(lambda _: record("GET", time.monotonic(), list_documents(base, requests)), range(16)))
        assert all(r["status"] == 200 for r in warm)
        assert int(stack.primary.psql(presignd_connections)[0][0]) == 2

        stack.primary.psql("ALTER SYSTEM SET default_transaction_read_only = on")
        stack.primary.psql("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 10
        while stack.primary.psql("SHOW default_transaction_read_only")[0][0] != "on":
            assert time.monotonic() < deadline, "the fence did not take effect"
            time.sleep(0.05)

        refused = record("POST", time.monotonic(), presign(base, session))
        assert refused["status"] == 503 and refused["code"] == "database_unavailable", refused
        assert refused["retry_after"] and int(refused["retry_after"]) >= 1
        assert "database unavailable" in stack.server.log() and "statement failed" not in stack.server.log()

        # Reads go on until every kept connection has learned that its server is read-only.
        reads = []
        for _ in range(10):
            if stack.primary.psql(presignd_connections)[0][0] == "0":
                break
            reads.append(record("GET", time.monotonic(), list_documents(base, session)))
        assert stack.primary.psql(presignd_connections)[0][0] == "0", \
            "a kept connection stayed on the fenced primary"
        assert all(r["status"] in (200, 503) for r in reads), reads

        stack.standby.wait_for_replay(stack.primary)
        stack.standby.promote()
        after = [record("POST", time.monotonic(), presign(base, session)) for _ in range(5)]
        after += [record("GET", time.monotonic(), list_documents(base, session)) for _ in range(5)]
        assert [r["status"] for r in after] == [200] * 10, after
        acked, no_row, no_audit = acknowledged_writes_on(stack.standby, warm + [refused] + after)
        assert len(acked) == 9 and no_row == [] and no_audit == [], (acked, no_row, no_audit)
        assert stack.primary.psql(presignd_connections)[0][0] == "0", "presignd went back to the fenced primary"


def test_check_config_accepts_a_multi_host_url():
    """The multi-host URL passes check-config, which shows every host and target_session_attrs
    and masks the password."""
    url = "postgresql://presignd:failover-db-pw@10.0.0.11:5432,10.0.0.12:5432/presignd?target_session_attrs=read-write"
    env = presignd_env(url)
    env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    out = subprocess.run([BINARY, "check-config"], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    assert ("DATABASE_URL = postgresql://presignd:******@10.0.0.11:5432,10.0.0.12:5432/presignd"
            "?target_session_attrs=read-write") in out.stdout, out.stdout
    assert "failover-db-pw" not in out.stdout + out.stderr
