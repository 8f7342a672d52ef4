"""The audit log in monthly partitions (issue 11, section 4), against a real PostgreSQL 15.

What is proved: upgrading a database whose unpartitioned audit log holds rows of several months
keeps every row with its id, each in its month's partition, and new rows continue the sequence;
`migrate` makes this month's partition and the next three; the log stays append-only on the
parent and on each partition; a row of a month without a partition lands in the default
partition and moves into the month's partition when that is made; the by-document and by-actor
indexes exist on every partition and the planner uses them; `sweep` with
PRESIGND_AUDIT_RETENTION_MONTHS drops whole old months (a dry run only names them) and nothing
else."""
import subprocess

import pytest

from harness.common import BINARY


@pytest.fixture(scope="module")
def env(postgres):
    return {"PATH": "/usr/bin:/bin", "DATABASE_URL": postgres.url, "PRESIGND_BUCKET": "audit-bucket", "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "PRESIGND_JWT_HS256_SECRET": "audit-partitions-secret-0123456789abcdef"}


def run(env, *args, **extra):
    out = subprocess.run([BINARY, *args], env=dict(env, **extra), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def partitions(postgres):
    return [row[0] for row in postgres.psql(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'audit_log'::regclass ORDER BY 1")]


def month_name(postgres, offset):
    return postgres.psql(f"SELECT 'audit_log_y' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC') "
                         f"+ make_interval(months => {offset}), 'YYYY\"m\"MM')")[0][0]


def test_upgrade_keeps_every_row_in_its_month(postgres, env):
    assert "applied 1, 2, 3 (up to version 3)" in run(env, "migrate", "--to", "3")
    postgres.psql("""
        INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES
          ('2025-01-15 10:00:00+00', 'alice', 'upload.presign', 'document:a', '127.0.0.1'),
          ('2025-01-31 23:59:59+00', 'alice', 'upload.confirm', 'document:a', '127.0.0.1'),
          ('2025-06-01 00:00:00+00', 'bob', 'document.download', 'document:b', '127.0.0.1')""")
    before = postgres.psql("SELECT id, at, actor, action, resource FROM audit_log ORDER BY id")
    assert "applied 4" in run(env, "migrate")
    assert postgres.psql("SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'audit_log'::regclass") == [["1"]]
    assert postgres.psql("SELECT id, at, actor, action, resource FROM audit_log ORDER BY id") == before
    assert postgres.psql("SELECT tableoid::regclass, id FROM audit_log ORDER BY id") == [
        ["audit_log_y2025m01", before[0][0]], ["audit_log_y2025m01", before[1][0]], ["audit_log_y2025m06", before[2][0]]]
    names = partitions(postgres)
    for offset in range(4):
        assert month_name(postgres, offset) in names
    assert "audit_log_default" in names and "audit_log_unpartitioned" not in \
        [r[0] for r in postgres.psql("SELECT relname FROM pg_class")]
    # New rows continue the ids.
    postgres.psql("INSERT INTO audit_log (at, actor, action, resource, client_address) "
                  "VALUES (now(), 'carol', 'upload.presign', 'document:c', '::1')")
    newest = postgres.psql("SELECT max(id) FROM audit_log WHERE actor = 'carol'")[0][0]
    assert int(newest) > max(int(row[0]) for row in before)


def test_append_only_on_the_parent_and_each_partition(postgres, env):
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log",
                      "DELETE FROM audit_log_y2025m01", "UPDATE audit_log_default SET actor = 'x'", "TRUNCATE audit_log_y2025m06"):
        with pytest.raises(subprocess.CalledProcessError) as refused:
            postgres.psql(statement)
        assert "append-only" in refused.value.stderr, statement
    assert postgres.psql("SELECT count(*) FROM audit_log") == [["4"]]


def test_a_month_without_partition_waits_in_default_then_moves(postgres, env):
    postgres.psql("INSERT INTO audit_log (at, actor, action, resource, client_address) "
                  "VALUES (now() + interval '30 months', 'dave', 'upload.presign', 'document:d', '::1')")
    assert postgres.psql("SELECT tableoid::regclass FROM audit_log WHERE actor = 'dave'") == [["audit_log_default"]]
    name = postgres.psql("SELECT presignd_audit_partition(((now() + interval '30 months') AT TIME ZONE 'UTC')::date)")[0][0]
    assert postgres.psql("SELECT tableoid::regclass FROM audit_log WHERE actor = 'dave'") == [[name]]
    assert postgres.psql("SELECT count(*) FROM audit_log_default") == [["0"]]
    # The default partition is append-only again afterwards.
    with pytest.raises(subprocess.CalledProcessError):
        postgres.psql("DELETE FROM audit_log_default")


def test_indexes_by_document_and_by_actor_on_every_partition(postgres, env):
    for name in partitions(postgres):
        columns = [row[0] for row in postgres.psql(f"SELECT indexdef FROM pg_indexes WHERE tablename = '{name}'")]
        assert any("(resource, at)" in c for c in columns), (name, columns)
        assert any("(actor, at)" in c for c in columns), (name, columns)
    for query in ("SELECT * FROM audit_log WHERE resource = 'document:a' ORDER BY at",
                  "SELECT * FROM audit_log WHERE actor = 'alice' ORDER BY at"):
        plan = "\n".join(r[0] for r in postgres.psql(f"SET enable_seqscan = off; EXPLAIN {query}"))
        assert "Index" in plan, plan


def test_retention_drops_whole_old_months_only(postgres, env):
    old = month_name(postgres, -14)
    postgres.psql(f"SELECT presignd_audit_partition(((now() AT TIME ZONE 'UTC') - interval '14 months')::date)")
    postgres.psql("INSERT INTO audit_log (at, actor, action, resource, client_address) "
                  "VALUES (now() - interval '14 months', 'erin', 'upload.presign', 'document:e', '::1')")
    recent = month_name(postgres, -11)
    postgres.psql(f"SELECT presignd_audit_partition(((now() AT TIME ZONE 'UTC') - interval '11 months')::date)")
    count_before = int(postgres.psql("SELECT count(*) FROM audit_log")[0][0])

    dry = run(env, "sweep", "--dry-run", PRESIGND_AUDIT_RETENTION_MONTHS="12")
    assert f"audit partition {old}: would drop" in dry and "audit_log_y2025m01: would drop" in dry
    assert old in partitions(postgres)

    swept = run(env, "sweep", PRESIGND_AUDIT_RETENTION_MONTHS="12")
    for gone in (old, "audit_log_y2025m01", "audit_log_y2025m06"):
        assert f"audit partition {gone}: dropped" in swept
        assert gone not in partitions(postgres)
    assert recent in partitions(postgres) and month_name(postgres, 0) in partitions(postgres)
    # Only the dropped months' rows went: erin's and the three 2025 upgrade rows.
    assert int(postgres.psql("SELECT count(*) FROM audit_log")[0][0]) == count_before - 4
    # Without a retention setting nothing is dropped.
    assert "would drop" not in run(env, "sweep", "--dry-run")
