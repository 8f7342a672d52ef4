"""Distribution keys (issue 25 §4): every statement presignd sends PostgreSQL, and where it would
run on a distributed PostgreSQL (Citus), checked against one distribution scheme.

The scheme (README, "Running at scale"): every table of the product is distributed by the owner
of its rows and co-located with the others, so that an owner's documents, usage rows, shares,
events, deliveries and audit rows live on one shard (SCHEME below). `audit_log` is distributed by
`actor`, which is the owner for everything an owner does; `document_shares` and
`event_deliveries` have no owner column today (MISSING), so no statement reaches them by owner.
`schema_migrations` stays a local table of the coordinator; there is no reference table (the
purposes and webhook endpoints are configuration, not rows). Under this scheme a statement that
names a document by its id alone is NOT single-shard: Citus does not know which owner's shard
holds that id and asks every shard.

What runs: nginx -> presignd -> PostgreSQL 15 and ministack (AUTH=true), three databases of one
cluster, each with its own presignd: `plain` (as configured by default, plus the CDN cookie
route and audit retention), `hooks` (two webhook endpoints: `app`, a receiver that answers 500 to
each message's first attempt, so deliveries are retried and wait behind each other, and `gone`, a
closed port, so deliveries die and are replayed) and `quota` (quotas on every purpose, events on
without endpoints, and a read replica URL, here the primary itself, so the replica's statements
are sent too). On each: `presignd migrate` from an empty database, every route that reaches
PostgreSQL (harness/every_route.py: uploads by POST and PUT, confirm by id and key, multipart
create/sign/list/complete/abort, Uppy's routes, listing pages, downloads, share and unshare,
usage, CDN cookies, deletes, /readyz), a rejected upload (HTML declared as a PNG), `presignd
sweep` expiring a pending and a multipart upload (and dropping an expired audit month on
`plain`), and on `hooks` the deliverer's retries and dead letters, `presignd events list` and
`presignd events replay`.

What is collected (harness/statement_log.py, as test_query_plans.py does): every statement
presignd sent, with its bind parameters, from the server's log (`log_statement = all`,
application_name "presignd"); and every statement run inside those on presignd's behalf
(foreign-key checks and cascades, the outbox's trigger, PL/pgSQL in migrations and partition
upkeep) from pg_stat_statements (`track = all`, not top level).

What is asserted: each distinct statement matches exactly one row of STATEMENTS (sent) or
RUN_FOR_IT (nested), so a statement presignd starts sending fails this test until it is
classified; every row matched something (no stale rows); the tables each statement touches are
the row's (names found in its text, string literals left out); and each row's key holds:
- "owner_id" (or "document id"): every access to a distributed table in the text is pinned by
  an equality on that table's distribution column (`owner_id = $n`, or the column's value in an
  INSERT), and in every execution the log holds, all those parameters carried the same value:
  the statement runs on one shard. "document id" would need tables distributed by a document id;
  this scheme has none.
- "multi-shard: <why>": it reads or writes several shards (or, a trigger, runs on another node).
- "coordinator: <why>": it touches no distributed table (session settings, locks, catalogue,
  schema_migrations).
test_summary prints the classification (README's counts come from it). About 10 s on two cores.
"""
import dataclasses
import json
import re
import subprocess
import time

import pytest

from harness.common import API, BINARY, CDN_DOMAIN, JWT_SECRET, KEY_PAIR_ID, PURPOSES, post_form, upload_ready
from harness.every_route import exercise, exercise_quotas, ok
from harness.postgres import PostgresCluster
from harness.stack import migrate, stack_env
from harness.statement_log import LOG_SETTINGS, mark, statements_between_marks
from harness.webhook_receiver import Receiver

# The scheme -------------------------------------------------------------------------------------

# Each table's distribution column (None: a local table of the coordinator).
SCHEME = {
    "documents": "owner_id",
    "upload_usage": "owner_id",
    "document_shares": "owner_id",  # MISSING: the document's owner, to add
    "events": "owner_id",
    "event_deliveries": "owner_id",  # MISSING: the event's owner, to add
    "audit_log": "actor",  # the owner, for everything an owner does
    "schema_migrations": None,
    "revocations": None,  # small, read whole by every worker: a reference table on Citus
}
MISSING = {"document_shares": "owner_id", "event_deliveries": "owner_id"}
# Which distribution columns each single-shard key stands for.
KEY_COLUMNS = {"owner_id": {"owner_id", "actor"}, "document id": {"id", "document_id"}}
DISTRIBUTED = {table for table, column in SCHEME.items() if column}

# Table names as statements write them: audit_log's partitions (and migration 4's old table) are audit_log.
TABLE_NAME = re.compile(r"\b(documents|document_shares|upload_usage|audit_log(?:_y\d{4}m\d{2}|_default|_unpartitioned)?|"
                        r"events|event_deliveries|schema_migrations|revocations)\b")


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of statement: `pattern` (searched in the text without comments, whitespace
    collapsed), the tables its texts touch, its key, and for a single-shard key the pins: (table,
    pattern with one group capturing the $n that pins that access to the table's distribution
    column), one per time the text names the table."""
    name: str
    pattern: str
    tables: frozenset
    key: str
    pins: tuple = ()


def kind(name, pattern, tables, key, *pins):
    return Kind(name, pattern, frozenset(tables), key, tuple(pins))


BY_ID = ("multi-shard: by document id alone; documents is distributed by owner_id, so every shard is asked "
         "(the route knows the owner: the caller, or the row it read)")
DDL = "multi-shard: DDL, run on the coordinator and propagated to every shard"
AUDIT_INSERT_VALUES = r"INSERT INTO audit_log \(at, actor, [^)]*\) VALUES \(to_timestamp\(\$\d+::bigint\), \$(\d+)"
AUDIT_INSERT_SELECT = r"INSERT INTO audit_log \(at, actor, [^)]*\) SELECT to_timestamp\(\$\d+::bigint\), \$(\d+)"

# What presignd sends (the server's log).
STATEMENTS = [
    # Requests.
    kind("presign, multipart and Uppy create, no quota (InsertUnlimited)",
         r"^WITH audit AS \( INSERT INTO audit_log .* INSERT INTO upload_usage .* INSERT INTO documents ",
         {"audit_log", "upload_usage", "documents"}, "owner_id",
         ("audit_log", AUDIT_INSERT_VALUES),
         ("upload_usage", r"INSERT INTO upload_usage AS u \(owner_id, [^)]*\) VALUES \(\$(\d+)"),
         ("documents", r"INSERT INTO documents \(id, owner_id, [^)]*\) VALUES \(\$\d+::uuid, \$(\d+)")),
    kind("presign, multipart and Uppy create under a quota (Insert)",
         r"^WITH reserved AS \( INSERT INTO upload_usage .* SELECT count\(\*\) FROM doc$",
         {"audit_log", "upload_usage", "documents"}, "owner_id",
         ("upload_usage", r"INSERT INTO upload_usage AS u \(owner_id, [^)]*\) SELECT \$(\d+)"),
         ("documents", r"FROM documents WHERE owner_id = \$(\d+)"),
         ("upload_usage", r"FROM upload_usage WHERE owner_id = \$(\d+)"),
         ("audit_log", AUDIT_INSERT_SELECT),
         ("documents", r"INSERT INTO documents \(id, owner_id, [^)]*\) SELECT \$\d+::uuid, \$(\d+)")),
    kind("usage (GET /api/usage)", r"^SELECT purpose, files, bytes FROM upload_usage WHERE owner_id = \$1 AND files > 0",
         {"upload_usage"}, "owner_id", ("upload_usage", r"FROM upload_usage WHERE owner_id = \$(\d+)")),
    kind("an audit row alone (CDN cookies; a download answered from the replica)",
         r"^INSERT INTO audit_log \(at, actor, action, resource, client_address\) VALUES", {"audit_log"}, "owner_id",
         ("audit_log", AUDIT_INSERT_VALUES)),
    kind("a document by id (confirm, parts, complete, abort, delete, share: read first)",
         r"^SELECT d\.id::text AS id, .* FROM documents d WHERE d\.id = \$1::uuid$", {"documents"}, BY_ID),
    kind("a document by S3 upload id (Uppy's multipart routes)",
         r"^SELECT d\.id::text AS id, .* FROM documents d WHERE d\.upload_id = \$1$", {"documents"},
         "multi-shard: by S3 upload id alone (the caller, who owns it, is not named)"),
    kind("a state change with its usage and audit row (confirm, reject, complete, abort, delete, expire; "
         "with its event and deliveries when events are on)",
         r"^WITH updated AS \( UPDATE documents SET status = \$1, .* WHERE id = \$6::uuid AND status = \$7 RETURNING ",
         {"documents", "upload_usage", "audit_log", "events", "event_deliveries"}, BY_ID),
    kind("a deleted row removed", r"^DELETE FROM documents WHERE id = \$1::uuid AND status IN \('deleting'\)$",
         {"documents"}, BY_ID),
    kind("download: access check and audit row (OpenForDownload)",
         r"^WITH doc AS \( SELECT d\.id::text AS id, .* FROM documents d WHERE d\.id = \$1::uuid .*EXISTS \(SELECT 1 FROM "
         r"document_shares s .* INSERT INTO audit_log ", {"documents", "document_shares", "audit_log"},
         BY_ID + "; the caller may be a recipient, whose owner the route does not know"),
    kind("download on the replica: access check alone (DownloadAccess)",
         r"^SELECT d\.id::text AS id, .* FROM documents d WHERE d\.id = \$1::uuid AND .*EXISTS \(SELECT 1 FROM document_shares s ",
         {"documents", "document_shares"}, BY_ID + "; the caller may be a recipient"),
    kind("listing: the caller's own documents merged with those shared with them",
         r"^SELECT id, owner_id, .* FROM documents d WHERE d\.owner_id = \$1 .* UNION ALL .* FROM document_shares s JOIN "
         r"documents d ON d\.id = s\.document_id WHERE s\.user_id = ", {"documents", "document_shares"},
         "multi-shard: the shared half is by recipient (document_shares.user_id), its documents on their owners' shards"),
    kind("share (with its event and deliveries when events are on)",
         r"^WITH doc AS \( SELECT d\.id, d\.owner_id, .* FROM documents d WHERE d\.id = \$1::uuid AND d\.owner_id = \$2 .* "
         r"INSERT INTO document_shares ", {"documents", "document_shares", "audit_log", "events", "event_deliveries"},
         "multi-shard: the document is pinned by owner_id, but document_shares has no owner_id (nor event_deliveries)"),
    kind("unshare (with its event and deliveries when events are on)",
         r"^WITH removed AS \( DELETE FROM document_shares s USING documents d WHERE s\.document_id = \$1::uuid .* "
         r"d\.owner_id = \$3 ", {"documents", "document_shares", "audit_log", "events", "event_deliveries"},
         "multi-shard: the document is pinned by owner_id, but document_shares has no owner_id (nor event_deliveries)"),
    kind("/readyz", r"^SELECT 1$", set(), "coordinator: no table"),
    kind("read replica: its lag", r"^SELECT CASE WHEN NOT pg_is_in_recovery\(\) THEN 0 ", set(),
         "coordinator: no table (asked of the replica)"),
    # presignd sweep.
    kind("sweep: old unfinished uploads and stalled deletes",
         r"^SELECT id, owner_id, .* FROM documents d WHERE d\.status IN \('pending', 'uploading', 'completing'\) AND "
         r"d\.created_at < .* UNION ALL ", {"documents"}, "multi-shard: a background scan of every owner's unfinished uploads"),
    kind("sweep: events past their retention", r"^WITH old AS \( SELECT e\.seq FROM events e WHERE e\.at < ",
         {"events", "event_deliveries"}, "multi-shard: a background scan by age"),
    kind("sweep and migrate: this month's and the next audit partitions",
         r"^SELECT presignd_audit_partition\(\(\(now\(\) AT TIME ZONE 'UTC'\)::date \+ make_interval", set(), DDL),
    kind("sweep: audit months past the retention", r"^SELECT c\.relname FROM pg_inherits i JOIN pg_class c ", set(),
         "coordinator: the catalogue (the coordinator holds every partition's definition)"),
    kind("sweep: an audit month dropped", r"^DROP TABLE IF EXISTS audit_log_y\d{4}m\d{2}$", {"audit_log"}, DDL),
    # The webhook deliverer.
    kind("deliverer: the one deliverer's lock", r"^SELECT pg_try_advisory_lock\(\$1\)$", set(),
         "coordinator: an advisory lock"),
    kind("deliverer: LISTEN", r"^LISTEN presignd_events; LISTEN presignd_deliveries$", set(),
         "coordinator: no table"),
    kind("an event announced just after its change committed", r"^SELECT pg_notify\('presignd_events', \$1\)$", set(),
         "coordinator: no table (sent where the deliverer and applications LISTEN; not from a trigger, which on Citus "
         "would run on the worker holding the shard, and which would hold the notify lock through every commit)"),
    kind("deliverer: what is due for an endpoint",
         r"^SELECT d\.event_seq, e\.id::text, e\.body, .* FROM event_deliveries d JOIN events e ON e\.seq = d\.event_seq "
         r"WHERE d\.endpoint = \$1 ", {"events", "event_deliveries"}, "multi-shard: by endpoint, across every owner"),
    kind("deliverer: deliveries waiting behind their document's first",
         r"^UPDATE event_deliveries d SET next_at = greatest\(d\.next_at, first\.next_at\) FROM unnest",
         {"event_deliveries"}, "multi-shard: by endpoint and event sequence numbers, across owners"),
    kind("deliverer: delivered", r"^UPDATE event_deliveries SET state = 'delivered', .* event_seq = ANY \(\$2::bigint\[\]\)",
         {"event_deliveries"}, "multi-shard: by endpoint and a batch of event sequence numbers, across owners"),
    kind("deliverer: a failed attempt, and its document's later deliveries pushed back",
         r"^WITH failed AS \( UPDATE event_deliveries SET attempts = ", {"event_deliveries"},
         "multi-shard: by endpoint, event sequence number and document id; no owner"),
    kind("deliverer: when the next delivery is due",
         r"^SELECT ceil\(extract\(epoch from min\(next_at\) - clock_timestamp\(\)\) \* 1000\)::bigint FROM event_deliveries ",
         {"event_deliveries"}, "multi-shard: by endpoint, across every owner"),
    kind("deliverer: the oldest undelivered event's age",
         r"^SELECT extract\(epoch from now\(\) - e\.at\)::bigint FROM events e WHERE e\.seq = \(SELECT min\(event_seq\) ",
         {"events", "event_deliveries"}, "multi-shard: by endpoint, across every owner"),
    # Revocations (presignd revoke, POST /api/admin/revocations, every worker's watcher).
    kind("revoke: the cutoff, its audit row and its announcement",
         r"^WITH revoked AS \( INSERT INTO revocations AS r .* INSERT INTO audit_log .* pg_notify\('presignd_revocations', ",
         {"revocations", "audit_log"},
         "multi-shard: revocations is a reference table (every node holds it); the audit row goes to the revoker's shard"),
    kind("revocations: every cutoff, read whole when a worker starts or reconnects",
         r"^SELECT kind, subject, extract\(epoch from cutoff\)::bigint FROM revocations$", {"revocations"},
         "coordinator: a reference table, read whole"),
    kind("revocations: LISTEN", r"^LISTEN presignd_revocations$", set(), "coordinator: no table"),
    kind("revocations: is the watcher's server still the primary?", r"^SHOW transaction_read_only$", set(),
         "coordinator: a session setting"),
    # presignd events list|replay.
    kind("events list", r"^SELECT e\.id::text, e\.type, .* FROM events e LEFT JOIN event_deliveries d ",
         {"events", "event_deliveries"}, "multi-shard: the newest events of every owner"),
    kind("events replay", r"^WITH replayed AS \( UPDATE event_deliveries d SET state = 'pending', ",
         {"events", "event_deliveries"}, "multi-shard: dead deliveries of every owner, or one event by its id"),
    # presignd migrate.
    kind("migrate: its session", r"^SET statement_timeout = 0; SET lock_timeout = '10s'$", set(),
         "coordinator: session settings"),
    kind("migrate: its lock", r"^SELECT pg_advisory_(?:un)?lock\(\$1\)$", set(), "coordinator: an advisory lock"),
    kind("migrate: transactions", r"^(BEGIN|COMMIT|ROLLBACK)$", set(), "coordinator: transaction control"),
    kind("migrate: schema_migrations",
         r"^(CREATE TABLE IF NOT EXISTS schema_migrations |SELECT version FROM schema_migrations$|"
         r"INSERT INTO schema_migrations \(version, name\) VALUES)", {"schema_migrations"},
         "coordinator: schema_migrations is a local table of the coordinator"),
    kind("migrate: an index left invalid by a failed build", r"^SELECT 1 FROM pg_index i JOIN pg_class c ", set(),
         "coordinator: the catalogue"),
    kind("migrate: migrations' schema changes (1-5, 7, 8, 13-16)", r"^(CREATE TABLE (?!IF NOT EXISTS)|ALTER TABLE )",
         {"documents", "document_shares", "upload_usage", "audit_log", "events", "event_deliveries", "revocations"}, DDL),
    kind("migrate: indexes built concurrently (9-11)", r"^(CREATE|DROP) INDEX CONCURRENTLY ", {"documents", "document_shares"},
         DDL),
    kind("migrate: migration 6's backfill batch", r"^UPDATE document_shares s SET document_created_at = d\.created_at ",
         {"document_shares", "documents"}, "multi-shard: a backfill of every share"),
    kind("migrate: migration 12's recount of every owner's usage", r"^DO \$recount\$ ", {"documents", "upload_usage"},
         "multi-shard: every owner, 1,000 at a time"),
]

# What runs inside those on presignd's behalf (pg_stat_statements, constants as $n).
RUN_FOR_IT = [
    kind("foreign key check: a share's document (document_shares -> documents)",
         r'^SELECT \$2 FROM ONLY "public"\."documents" x WHERE "id" OPERATOR\(pg_catalog\.=\) \$1 FOR KEY SHARE OF x$',
         {"documents"}, "multi-shard: by document id alone; on Citus the key must name the distribution column, "
                        "(owner_id, document_id) -> documents (owner_id, id)"),
    kind("foreign key check: a delivery's event (event_deliveries -> events)",
         r'^SELECT \$2 FROM ONLY "public"\."events" x WHERE "seq" OPERATOR\(pg_catalog\.=\) \$1 FOR KEY SHARE OF x$',
         {"events"}, "multi-shard: by event sequence number alone; the key must become (owner_id, event_seq) -> events "
                     "(owner_id, seq)"),
    kind("foreign key cascade: a removed document's shares",
         r'^DELETE FROM ONLY "public"\."document_shares" WHERE \$1 OPERATOR\(pg_catalog\.=\) "document_id"$',
         {"document_shares"}, "multi-shard: by document id alone (the same key, with owner_id)"),
    kind("audit partition upkeep inside presignd_audit_partition()",
         r"^(CREATE TABLE audit_log_y\d{4}m\d{2} \(LIKE audit_log |EXISTS \(SELECT \$\d+ FROM audit_log_default WHERE |"
         r"ALTER TABLE audit_log ATTACH PARTITION audit_log_y\d{4}m\d{2} |CREATE TRIGGER audit_log_append_only .* ON "
         r"audit_log_y\d{4}m\d{2} )", {"audit_log"}, DDL),
    kind("its lock", r"^SELECT pg_advisory_xact_lock\(\$1\)$", set(), "coordinator: an advisory lock"),
    kind("migration 12's batch of owners", r"^SELECT max\(owner_id\) FROM \( \(SELECT DISTINCT owner_id FROM documents ",
         {"documents", "upload_usage"}, "multi-shard: every owner, 1,000 at a time"),
]

# The run ----------------------------------------------------------------------------------------

SETTINGS = {
    **LOG_SETTINGS,
    "shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "all", "pg_stat_statements.max": "10000",
    "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
}
DATABASES = ("plain", "hooks", "quota")
START_MARK, END_MARK = "presignd-distribution-keys: start", "presignd-distribution-keys: end"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
QUOTA_PURPOSES = {name: dict(purpose, quotaFiles=1_000, quotaBytes=10 ** 9) for name, purpose in PURPOSES.items()}


@pytest.fixture(scope="module")
def postgres():
    """This module's cluster (it overrides conftest.py's): the statement log, pg_stat_statements
    tracking nested statements, and a database per configuration."""
    cluster = PostgresCluster(settings=SETTINGS)
    cluster.psql("CREATE EXTENSION pg_stat_statements")
    for name in DATABASES:
        cluster.psql(f"CREATE DATABASE {name}")
    yield cluster
    cluster.destroy()


def psql(env, sql):
    out = subprocess.run(["psql", env["DATABASE_URL"], "-XAtq", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def presignd(env, *args):
    out = subprocess.run([BINARY, *args], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"presignd {' '.join(args)}: {out.stdout}{out.stderr}"
    return out.stdout


def wait_until(predicate, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def sent(postgres, ministack, cloudfront_key, module_stack):
    """Everything above run: returns ([(text, parameters)] presignd sent, [(nested text, calls)])."""
    # `app` answers 500 to each message's first attempt; `closed` was listening a moment ago and
    # refuses connections now.
    app, closed = Receiver(SECRET, fail_first=1), Receiver(SECRET)
    closed.down()
    try:
        yield run_everything(postgres, ministack, cloudfront_key, module_stack, app, closed)
    finally:
        app.stop()


def run_everything(postgres, ministack, cloudfront_key, module_stack, app, closed):
    base = stack_env(postgres, ministack, PURPOSES, JWT_SECRET, PRESIGND_CDN_DOMAIN=CDN_DOMAIN,
                     PRESIGND_CDN_PATH_PATTERN="/avatars/*", PRESIGND_CDN_COOKIE_DOMAIN=".app.test",
                     PRESIGND_CLOUDFRONT_KEY_PAIR_ID=KEY_PAIR_ID, PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE=cloudfront_key[1],
                     PRESIGND_UPPY_PURPOSE="document", PGCONNECT_TIMEOUT="2")
    envs = {name: dict(base, DATABASE_URL=postgres.url.rsplit("/", 1)[0] + "/" + name) for name in DATABASES}
    envs["plain"]["PRESIGND_AUDIT_RETENTION_MONTHS"] = "1"
    envs["hooks"].update(
        PRESIGND_WEBHOOKS=json.dumps({"app": {"url": app.url, "secrets": [SECRET]},
                                      "gone": {"url": closed.url, "secrets": [SECRET], "events": ["upload.ready"],
                                               "purposes": ["avatar"]}}),
        PRESIGND_WEBHOOK_MAX_ATTEMPTS="2", PRESIGND_WEBHOOK_RETRY_BASE_MS="500", PRESIGND_WEBHOOK_RETRY_MAX_MS="1000")
    envs["quota"].update(PRESIGND_PURPOSES=json.dumps(QUOTA_PURPOSES), PRESIGND_EVENTS="on",
                         PRESIGND_DATABASE_READ_URL=envs["quota"]["DATABASE_URL"])

    postgres.psql("SELECT pg_stat_statements_reset()")
    mark(postgres, START_MARK)
    for env in envs.values():
        migrate(env)
    # A month past the retention, for `sweep` to drop.
    psql(envs["plain"], "CREATE TABLE audit_log_y2020m01 PARTITION OF audit_log "
                        "FOR VALUES FROM ('2020-01-01 00:00+00') TO ('2020-02-01 00:00+00')")
    apis = {}
    for name, env in envs.items():
        _, proxy = module_stack(f"keys-{name}", env, workers=1, threads=4)
        apis[name] = API(proxy.url)
    for api in apis.values():
        exercise(api, "alice", "bob", limit=1)
        html = api.presign("carol", name="cat.png", size=len(HTML))
        assert post_form(html, HTML).status_code in (200, 201, 204)
        ok(api.confirm(html["fileId"], "carol"), 422)
    exercise_quotas(apis["quota"], "alice")
    # A revocation by each way: the command and the admin route.
    for name, env in envs.items():
        assert "user mallory" in presignd(env, "revoke", "--user", "mallory", "--reason", "test")
        ok(apis[name].call("POST", "/api/admin/revocations", "ops", {"cdnKey": "KRETIRED"}, scope="presignd:admin"))
    # A document's second event while its first waits for its retry.
    doc = upload_ready(apis["hooks"], "dave")["fileId"]
    ok(apis["hooks"].call("POST", f"/api/documents/{doc}/shares", "dave", {"userId": "erin"}), 201)
    # The sweeper: a pending upload and a multipart upload on each database, left unfinished.
    for api in apis.values():
        api.presign("frank", purpose="document", name="never.pdf", content_type="application/pdf", size=100)
        ok(api.call("POST", "/api/uploads/multipart", "frank", {"purpose": "document", "fileName": "never.bin",
                                                                "contentType": "application/octet-stream", "fileSize": 100}))
    time.sleep(2.1)  # rows keep whole seconds
    swept = {name: presignd(env, "sweep", "--older-than", "1") for name, env in envs.items()}
    assert all("2 row(s)" in out for out in swept.values()), swept
    assert "audit partition audit_log_y2020m01: dropped" in swept["plain"], swept["plain"]
    # Dead letters, listed and replayed; every delivery settled before and after.
    hooks = envs["hooks"]

    def settled():
        return psql(hooks, "SELECT count(*) FROM event_deliveries WHERE state = 'pending'") == [["0"]]
    wait_until(settled, "every delivery delivered or dead")
    dead = presignd(hooks, "events", "list", "--state", "dead", "--endpoint", "gone")
    event_id = re.search(r"Z ([0-9a-f-]{36}) upload\.ready ", dead).group(1)
    assert "1 dead delivery due again" in presignd(hooks, "events", "replay", event_id)
    wait_until(settled, "the replayed delivery dead again")
    presignd(hooks, "events", "list")
    assert app.refused == [] and len({m["id"] for m in app.snapshot()}) >= 10
    statements = statements_between_marks(postgres, START_MARK, END_MARK)
    nested = postgres.psql("SELECT regexp_replace(s.query, '\\s+', ' ', 'g'), s.calls FROM pg_stat_statements s "
                           "JOIN pg_database d ON d.oid = s.dbid "
                           f"WHERE NOT s.toplevel AND d.datname IN ({', '.join(repr(d) for d in DATABASES)})")
    return statements, [(text, int(calls)) for text, calls in nested]


# The checks -------------------------------------------------------------------------------------

def normalized(text):
    """A statement's text without comments, its whitespace collapsed."""
    return " ".join(re.sub(r"--[^\n]*", " ", text).split())


def tables_of(text):
    """The tables a statement names (string literals left out), audit_log's partitions as audit_log."""
    text = re.sub(r"'(?:[^']|'')*'", "''", text)
    return {"audit_log" if name.startswith("audit_log") else name for name in TABLE_NAME.findall(text)}


def classified(texts, kinds):
    """{text: its Kind}; asserts each text matches exactly one kind and each kind matches a text."""
    found, unclassified, ambiguous = {}, [], []
    for text in texts:
        matching = [k for k in kinds if re.search(k.pattern, text)]
        if not matching:
            unclassified.append(text)
        elif len(matching) > 1:
            ambiguous.append(f"{text[:160]}\n    matches {[k.name for k in matching]}")
        else:
            found[text] = matching[0]
    assert not unclassified, ("statements no row classifies (add each, with its tables and distribution key):\n"
                              + "\n".join(f"- {t[:400]}" for t in unclassified))
    assert not ambiguous, "statements more than one row matches:\n" + "\n".join(ambiguous)
    stale = [k.name for k in kinds if k not in found.values()]
    assert not stale, f"rows no statement matched (presignd no longer sends them? remove them): {stale}"
    return found


def check_rows(found):
    """Each row's tables are what its texts touch, and its key is one of the four forms."""
    problems = []
    touched = {}
    for text, k in found.items():
        tables = tables_of(text)
        touched.setdefault(k, set()).update(tables)
        if not tables <= k.tables:
            problems.append(f"{k.name}: touches {sorted(tables - k.tables)} too: {text[:200]}")
        if k.key.startswith("coordinator:") and tables & DISTRIBUTED:
            problems.append(f"{k.name}: a coordinator-only statement touches distributed {sorted(tables & DISTRIBUTED)}")
        if not (k.key in KEY_COLUMNS or re.fullmatch(r"(multi-shard|coordinator): \S.*", k.key)):
            problems.append(f"{k.name}: the key {k.key!r} is none of owner_id, document id, 'multi-shard: why', "
                            "'coordinator: why'")
        if k.key not in KEY_COLUMNS and k.pins:
            problems.append(f"{k.name}: pins only go with a single-shard key")
    for k, tables in touched.items():
        if tables != k.tables:
            problems.append(f"{k.name}: declared {sorted(k.tables)}, its statements touch {sorted(tables)}")
    assert not problems, "\n".join(problems)


def pinned_parameters(k, text):
    """The parameter numbers pinning each access of `text` to one shard under k's key; asserts
    that every distributed table the text names is pinned as often as it is named, by an equality
    (or an INSERT's value) on the table's distribution column, which the key stands for."""
    columns = KEY_COLUMNS[k.key]
    problems, numbers, starts = [], [], set()
    for table, pattern in k.pins:
        column = SCHEME.get(table)
        if table in MISSING:
            problems.append(f"{table} has no {MISSING[table]} column yet: no statement can name its shard")
            continue
        if column not in columns:
            problems.append(f"{table} is distributed by {column or 'nothing (a local table)'}, not by {k.key}")
            continue
        if not re.search(rf"\b{column}\b", pattern):
            problems.append(f"the pin {pattern!r} names no {column}")
        match = re.search(pattern, text)
        if not match:
            problems.append(f"the pin {pattern!r} is not in the text")
            continue
        if match.start() in starts:
            problems.append(f"the pin {pattern!r} finds an access another pin found")
        starts.add(match.start())
        numbers.append(int(match.group(1)))
    for table in tables_of(text) & DISTRIBUTED:
        named = len(re.findall(rf"\b{table}\b", re.sub(r"'(?:[^']|'')*'", "''", text)))
        pins = sum(1 for t, _ in k.pins if t == table)
        if pins != named:
            problems.append(f"{table} is named {named} time(s) and pinned {pins} time(s)")
    assert not problems, f"{k.name}: " + "; ".join(problems) + f"\n  {text[:300]}"
    return numbers


def test_every_statement_presignd_sends_has_its_distribution_key(sent):
    statements, _ = sent
    executions = {}
    for text, parameters in statements:
        executions.setdefault(normalized(text), []).append(parameters)
    found = classified(executions, STATEMENTS)
    check_rows(found)
    for text, k in found.items():
        if k.key not in KEY_COLUMNS:
            continue
        numbers = pinned_parameters(k, text)
        for parameters in executions[text]:
            values = {parameters[n - 1] for n in numbers}
            assert len(values) == 1 and "NULL" not in values, \
                f"{k.name}: the pinned parameters ${', $'.join(map(str, numbers))} differ ({sorted(values)}): " \
                f"more than one shard"


def test_every_statement_run_on_its_behalf_has_its_distribution_key(sent):
    _, nested = sent
    found = classified({normalized(text) for text, _ in nested}, RUN_FOR_IT)
    check_rows(found)
    assert all(k.key not in KEY_COLUMNS for k in found.values())  # none would have parameters to check here


def test_summary(sent):
    """The classification, as README's "Running at scale" counts it."""
    statements, nested = sent
    lines = []
    for title, texts, kinds in (("sent by presignd", [normalized(t) for t, _ in statements], STATEMENTS),
                                ("run on its behalf", [normalized(t) for t, calls in nested for _ in range(calls)], RUN_FOR_IT)):
        found = classified(set(texts), kinds)
        groups = {}
        for k in kinds:
            group = "single-shard by owner" if k.key == "owner_id" else "single-shard by document id" \
                if k.key == "document id" else k.key.split(":")[0]
            groups.setdefault(group, []).append(k)
        lines.append(f"\n{title}: {len(kinds)} kinds, {len(found)} distinct texts, {len(texts)} executions")
        for group, members in groups.items():
            count = sum(1 for k in found.values() if k in members)
            lines.append(f"  {group}: {len(members)} kinds, {count} texts")
            for k in members:
                lines.append(f"    - {k.name} [{', '.join(sorted(k.tables)) or 'no table'}]: {k.key}")
    print("\n".join(lines))
