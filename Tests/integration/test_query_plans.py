"""Query plans against a realistically large database (issue 24, "cost that grows with the data").

A small table hides a statement whose cost grows with the data: PostgreSQL reads a 100-row table
whole and nobody notices. So this module's own PostgreSQL 15 cluster (harness/postgres.py, with
settings) is filled, with generate_series in SQL (harness/fill.py, which bench/scale.py fills ten
times larger), to about 1,000,000 documents (50,000 users, most with a few documents, one "whale"
with 100,000), 100,000 shares and 1,000,000 audit rows over the last six monthly partitions, and
vacuumed and analysed. The fill is written against schema version
FILL_SCHEMA_VERSION (`presignd migrate --to` it first) and the later migrations are then applied to
the full tables, as an upgrade in production would.

The cluster logs every statement with its bind parameters (`log_statement = all`, JSON log:
harness/statement_log.py, shared with test_distribution_keys.py). presignd runs behind nginx
against ministack exactly as in the other modules (conftest.py's module_stack), once as configured
by default and once with quotas (the reservation then has limits to check), and every route that
reaches PostgreSQL (harness/every_route.py) is called as a normal user ("alice") and as the whale,
including a second and a deep listing page; then `presignd sweep` runs once.

Each distinct statement presignd sent is then replayed from the log, with each set of parameters it
was sent with, as `PREPARE` + `EXPLAIN (FORMAT JSON) EXECUTE` under `plan_cache_mode =
force_custom_plan` (EXPLAIN without ANALYZE runs nothing, writes included). No plan may read
documents, document_shares, upload_usage, audit_log or any audit_log partition whole: neither a
Seq Scan of it nor, what the planner picks as readily at this size, an index scan that walks a
whole index of most of its rows (whole_reads says exactly what counts). A first test checks the
log holds every kind of statement expected, for the whale too, so a logging failure cannot make
the plans test pass with nothing to look at.

Runs in about 45 s on two cores, most of it the fill (about 30 s).
"""
import json
import re
import subprocess
import time

import pytest

from harness.common import API, CDN_DOMAIN, JWT_SECRET, KEY_PAIR_ID, PURPOSES
from harness.every_route import exercise, exercise_quotas
from harness.fill import FILL_SCHEMA_VERSION, Fill, cursor_at
from harness.postgres import PostgresCluster
from harness.presignd import binary
from harness.stack import migrate, stack_env
from harness.statement_log import LOG_SETTINGS, mark, statements_between_marks

# The database ---------------------------------------------------------------------------------

DOCUMENTS = 1_000_000
WHALE_DOCUMENTS = 100_000
USERS = 50_000
SHARES = 100_000
AUDIT_ROWS = 1_000_000
AUDIT_MONTHS = 6
WHALE, USER = "whale", "alice"
# The fill (harness/fill.py, shared with bench/scale.py), written against schema version
# FILL_SCHEMA_VERSION; later migrations upgrade the full tables.
FILL = Fill(documents=DOCUMENTS, users=USERS, whales=((WHALE, WHALE_DOCUMENTS),), shares=SHARES, audit_rows=AUDIT_ROWS,
            audit_months=AUDIT_MONTHS, user=USER)

# Every statement with its parameters, in a JSON log in the data directory (harness/statement_log.py);
# and, for a test cluster only, no durability (the fill is 2 million rows).
SETTINGS = {
    **LOG_SETTINGS,
    "shared_buffers": "256MB", "fsync": "off", "full_page_writes": "off", "synchronous_commit": "off",
    "max_wal_size": "4GB", "checkpoint_timeout": "30min",
}
START_MARK, END_MARK = "presignd-query-plans: requests start", "presignd-query-plans: requests end"

# The quota configuration: every purpose limited (far above what anyone holds), so uploads
# reserve in upload_usage and usage is read from it.
QUOTA_PURPOSES = {name: dict(purpose, quotaFiles=10_000_000, quotaBytes=10 ** 15) for name, purpose in PURPOSES.items()}


@pytest.fixture(scope="module")
def postgres():
    """This module's cluster (it overrides conftest.py's): logging every statement, fast to fill."""
    cluster = PostgresCluster(settings=SETTINGS)
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="module")
def envs(postgres, ministack, cloudfront_key):
    """presignd's environment without and with quotas, on the filled, upgraded, analysed database.
    Returns (plain, quota, seconds the fill took)."""
    plain = stack_env(postgres, ministack, PURPOSES, JWT_SECRET, PRESIGND_CDN_DOMAIN=CDN_DOMAIN,
                      PRESIGND_CDN_PATH_PATTERN="/avatars/*", PRESIGND_CDN_COOKIE_DOMAIN=".app.test",
                      PRESIGND_CLOUDFRONT_KEY_PAIR_ID=KEY_PAIR_ID, PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=cloudfront_key[1],
                      PRESIGND_UPPY_PURPOSE="document", PGCONNECT_TIMEOUT="2")
    quota = dict(plain, PRESIGND_PURPOSES=json.dumps(QUOTA_PURPOSES))
    out = subprocess.run([binary(), "migrate", "--to", str(FILL_SCHEMA_VERSION)], env=plain, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    started = time.monotonic()
    FILL.run(postgres)
    # The later migrations on the full tables, the usage recount of every owner (12) among them.
    assert re.search(r"applied .*\b12\b", migrate(quota).stdout)
    # Statistics, and the visibility map autovacuum keeps on a settled table (index-only scans
    # depend on it).
    postgres.psql("VACUUM (ANALYZE)")
    seconds = time.monotonic() - started
    counts = postgres.psql("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM documents WHERE owner_id = "
                           f"'{WHALE}'), (SELECT count(DISTINCT owner_id) FROM documents), (SELECT count(*) FROM "
                           "document_shares), (SELECT count(*) FROM audit_log)")[0]
    documents, whale, owners, shares, audit = map(int, counts)
    assert documents >= DOCUMENTS and whale == WHALE_DOCUMENTS and owners > USERS * 0.9
    assert shares > SHARES * 0.95 and audit == AUDIT_ROWS
    return plain, quota, seconds


# The log --------------------------------------------------------------------------------------

# Not presignd's data statements: transactions, settings, locks, schema changes, catalogue reads.
NOISE = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|START|END|SET|SHOW|RESET|LOCK|DISCARD|DEALLOCATE|CREATE|ALTER|DROP|"
                   r"ANALYZE|VACUUM)\b|pg_catalog|pg_inherits|pg_class|pg_index|schema_migrations|pg_advisory", re.I)


@pytest.fixture(scope="module")
def sent(envs, postgres, module_stack):
    """Both stacks started, every route called as alice and as the whale, `presignd sweep` run:
    returns (every statement presignd sent with its parameters, the deep cursor's document id,
    timings)."""
    plain, quota, fill_seconds = envs
    started = time.monotonic()
    _, proxy = module_stack("plans-stack", plain, workers=1, threads=4)
    _, quota_proxy = module_stack("plans-quota-stack", quota, workers=1, threads=4)
    api, quota_api = API(proxy.url), API(quota_proxy.url)
    deep_cursor, deep_id = cursor_at(postgres, WHALE, WHALE_DOCUMENTS // 2)
    mark(postgres, START_MARK)
    exercise(api, USER, WHALE, limit=10)
    exercise(api, WHALE, USER, limit=100, deep_cursor=deep_cursor)
    for user in (USER, WHALE):
        exercise_quotas(quota_api, user)
    swept = subprocess.run([binary(), "sweep"], env=plain, capture_output=True, text=True, timeout=120)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert "3 row(s)" in swept.stdout and swept.stdout.count("delete object: done") == 3, swept.stdout
    statements = statements_between_marks(postgres, START_MARK, END_MARK)
    return statements, deep_id, {"fill": fill_seconds, "requests": time.monotonic() - started}


# The plans ------------------------------------------------------------------------------------

BIG_TABLES = re.compile(r"^(documents|document_shares|upload_usage|audit_log|audit_log_.+)$")
# Each kind of statement the requests above must have made (loose, so a rewritten statement still
# counts): its name and a pattern of its text.
KINDS = {
    "new upload": r"INSERT INTO documents\b",
    "state change (confirm, complete, abort, delete, expire)": r"UPDATE documents\s+SET\s+status",
    "listing": r"ORDER BY\s+[\w.]*created_at\s+DESC.*LIMIT",
    "download (open with the access check and its audit row)": r"^(?!.*(?:INSERT INTO|DELETE FROM) document_shares)"
                                                               r"(?=.*document_shares).*INSERT INTO audit_log",
    "share": r"INSERT INTO document_shares",
    "unshare": r"DELETE FROM document_shares",
    "usage": r"ORDER BY\s+purpose",
    "row removed after delete": r"DELETE FROM documents",
    "sweep scan": r"ORDER BY\s+(?:\w+\.)?created_at(?:\s+ASC)?\s+LIMIT",
    "CDN cookie audit row": r"^\s*INSERT INTO audit_log",
    "lookup by uploadId": r"upload_id\s*=\s*\$\d",
    "quota reservation": r"INSERT INTO upload_usage",
}


def kinds_of(text):
    return [name for name, pattern in KINDS.items() if re.search(pattern, text, re.S)]


def explain(postgres, text, parameter_sets):
    """The JSON plan of `text` with each parameter set: PREPARE + EXPLAIN EXECUTE (nothing runs),
    custom plans only, in one psql session (-c sends each string as it is: no psql variables)."""
    args = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", postgres.url,
            "-c", "SET plan_cache_mode = force_custom_plan", "-c", f"PREPARE presignd_plan AS {text}"]
    for i, parameters in enumerate(parameter_sets):
        execute = f"EXECUTE presignd_plan({', '.join(parameters)})" if parameters else "EXECUTE presignd_plan"
        args += ["-c", f"\\echo @@plan {i}", "-c", f"EXPLAIN (FORMAT JSON) {execute}"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"cannot replay {text[:200]!r}: {out.stderr}"
    chunks = re.split(r"^@@plan \d+$", out.stdout, flags=re.M)[1:]
    assert len(chunks) == len(parameter_sets), out.stdout[:500]
    return [json.loads(chunk)[0]["Plan"] for chunk in chunks]


def walk(node, path=()):
    """Every node of a plan with the path of node types above it."""
    path = path + (node["Node Type"],)
    yield node, path
    for child in node.get("Plans", []):
        yield from walk(child, path)


def describe(node):
    fields = [node["Node Type"]]
    if "Relation Name" in node:
        fields.append(f"on {node['Relation Name']} {node.get('Alias', '')}".rstrip())
    fields.append(f"(rows={node.get('Plan Rows')} cost={node.get('Total Cost')})")
    for name in ("Filter", "Index Name", "Index Cond", "Sort Key", "Subplan Name"):
        if name in node:
            fields.append(f"{name}: {node[name]}")
    return " ".join(str(f) for f in fields)


def render(plan):
    """A plan as indented lines, one node each."""
    return "\n".join("    " + "  " * (len(path) - 1) + describe(node) for node, path in walk(plan))


def distinct_statements(sent):
    """{text: [distinct parameter sets, in order]} of the statements worth planning."""
    grouped = {}
    for text, parameters in sent:
        if NOISE.search(text):
            continue
        sets = grouped.setdefault(text, [])
        if parameters not in sets:
            sets.append(parameters)
    return grouped


def test_the_log_holds_every_kind_of_statement(sent):
    """Without this, a log that lost presignd's statements would leave nothing to plan."""
    statements, deep_id, timings = sent
    print(f"\nfill {timings['fill']:.1f} s, requests {timings['requests']:.1f} s, {len(statements)} statements sent")
    grouped = distinct_statements(statements)
    found = {kind for text in grouped for kind in kinds_of(text)}
    assert set(KINDS) - found == set(), f"missing {sorted(set(KINDS) - found)} among {[t[:80] for t in grouped]}"
    literal = f"'{WHALE}'"
    for kind in ("listing", "download (open with the access check and its audit row)", "usage", "new upload", "share"):
        assert any(kind in kinds_of(text) and literal in parameters for text, parameters in statements), \
            f"no {kind} statement was sent for the whale"
    assert any("listing" in kinds_of(text) and f"'{deep_id}'" in parameters for text, parameters in statements), \
        "the whale's deep listing page was not sent with its cursor"


def index_sizes(postgres):
    """{index name: (its table, its first key column, rows in the index, rows in the table)} for
    the big tables' indexes (partitions' included), from the statistics ANALYZE left."""
    rows = postgres.psql("SELECT c.relname, t.relname, pg_get_indexdef(i.indexrelid, 1, true), c.reltuples::bigint, "
                         "t.reltuples::bigint FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                         "JOIN pg_class t ON t.oid = i.indrelid")
    return {index: (table, leading, int(entries), int(total))
            for index, table, leading, entries, total in rows if BIG_TABLES.match(table)}


INDEX_SCANS = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


def whole_reads(plan, indexes):
    """The nodes of `plan` that read a big table whole, in whatever order: a Seq Scan of it; an
    index scan (plain, index-only or bitmap) that walks a whole index holding more than a quarter
    of the table's rows (a B-tree narrows its range only by conditions on its first column, so
    with none there, e.g. `(created_at, id) < cursor` on (owner_id, created_at, id), it reads every
    entry); a bitmap index scan expected to match more than a quarter of the table. A partial index
    of the unfinished uploads only is bounded by the work in flight, not by the data, and walking
    it is not reading the table whole. Yields (node, path, table)."""
    for node, path in walk(plan):
        kind = node["Node Type"]
        if kind == "Seq Scan" and BIG_TABLES.match(node.get("Relation Name", "")):
            yield node, path, node["Relation Name"]
        elif kind in INDEX_SCANS and node.get("Index Name") in indexes:
            table, leading, entries, total = indexes[node["Index Name"]]
            walks_whole_index = not re.search(rf"(?<![\w.]){re.escape(leading)}\b", node.get("Index Cond", ""))
            matches_most = kind == "Bitmap Index Scan" and node.get("Plan Rows", 0) > total / 4
            if (walks_whole_index and entries > total / 4) or matches_most:
                yield node, path, table


STREAMING = {"Limit", "Merge Append", "Append", "Nested Loop", "Index Scan", "Index Only Scan", "Result", "Subquery Scan",
             "Gather Merge"}


def large_bounded_reads(plan, indexes, threshold=20_000):
    """Index reads with an Index Cond that are still expected to return more than `threshold`
    entries (the whale's own rows), unless a Limit above stops them early (nothing but streaming
    nodes in between): reported, not failed."""
    for node, path in walk(plan):
        if "Index Cond" in node and node.get("Index Name") in indexes and node.get("Plan Rows", 0) > threshold:
            above = path[:-1]
            if "Limit" in above and set(above[len(above) - above[::-1].index("Limit"):]) <= STREAMING \
                    and node["Node Type"] != "Bitmap Index Scan":
                continue
            yield node, path, indexes[node["Index Name"]][0]


def collect(found, into):
    """Groups findings by statement: {text: {"parameters", "plan", "nodes": {key: line}}}; the
    parameters and plan are the first that showed one."""
    for text, parameters, plan, node, path, table in found:
        entry = into.setdefault(text, {"parameters": parameters, "plan": plan, "nodes": {}})
        key = (node["Node Type"], node.get("Index Name") or node.get("Relation Name"))
        entry["nodes"].setdefault(key, f"{' > '.join(path)}\n    reads {table}: {describe(node)}")


def report(grouped, skip=None):
    out = []
    for text, entry in grouped.items():
        nodes = [line for key, line in entry["nodes"].items() if not skip or key not in skip.get(text, {"nodes": {}})["nodes"]]
        if not nodes:
            continue
        shown = ", ".join(p if len(p) < 40 else p[:37] + "...'" for p in entry["parameters"])
        out.append(f"\n- statement: {' '.join(text.split())[:200]}\n  parameters: {shown}\n"
                   f"  plan: {describe(entry['plan'])}\n  " + "\n  ".join(nodes))
    return "".join(out)


def test_no_statement_reads_a_big_table_whole(sent, postgres):
    statements, _, _ = sent
    grouped = distinct_statements(statements)
    indexes = index_sizes(postgres)
    assert {"documents_pkey", "documents_owner_listing"} <= set(indexes), sorted(indexes)
    offenders, notes, summary = {}, {}, []
    for text, parameter_sets in grouped.items():
        plans = explain(postgres, text, list(parameter_sets))
        summary.append(f"- {' '.join(text.split())[:160]}\n{render(plans[-1])}")
        for parameters, plan in zip(parameter_sets, plans):
            collect([(text, parameters, plan, *found) for found in whole_reads(plan, indexes)], offenders)
            collect([(text, parameters, plan, *found) for found in large_bounded_reads(plan, indexes)], notes)
    print("\n".join(["", f"{len(grouped)} distinct statements planned (last parameters):"] + summary))
    print("\nlarge reads bounded by an index condition (not failed):" + report(notes, skip=offenders))
    if offenders:
        pytest.fail("statements whose plan reads a big table whole:" + report(offenders), pytrace=False)
