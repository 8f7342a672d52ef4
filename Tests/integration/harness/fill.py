"""A realistically large presignd database (issue 24), filled in SQL by generate_series: one fill,
parameterised by its counts, for Tests/integration/test_query_plans.py (about 1,000,000 documents)
and bench/scale.py (10,000,000).

What a `Fill` makes: `documents` documents of `users` users ('u00001' …, as wide as the count
needs), most with a few and a few with hundreds (a skewed spread), plus each whale of `whales`
((user id, documents) pairs) with exactly its count, spread evenly through the fill; about
`shares` shares of ready documents between users, 1,500 from each whale and 500 to it; `audit_rows`
audit rows over the last `audit_months` monthly partitions, every tenth by a whale; the typical
user (`user`, "alice") with 25 ready documents and 12 shared with her; three stale pending uploads
(of user 77) for the sweeper.

The SQL is written against schema version FILL_SCHEMA_VERSION (Sources/PresigndPostgres/
Migrations.swift, 1 to 4: every NOT NULL column, the status and size CHECKs, uploadIds of
multipart rows, audit_log partitioned by month through presignd_audit_partition): run `presignd
migrate --to 4` first, fill, then apply the later migrations to the full tables, as an upgrade in
production would.
"""
import base64
import dataclasses
import math
import subprocess
import time

FILL_SCHEMA_VERSION = 4

# The first three statements of the second phase, for the listed user numbers (see second_phase_sql).
STALE_UPLOADS_OWNER = 77
SHARING_WITH_WHALES = (1_000, 9_999)  # the users whose documents are shared with each whale
SHARING_WITH_USER = (20_000, 20_999)  # the users whose documents are shared with the typical user
SHARES_FROM_EACH_WHALE, SHARES_TO_EACH_WHALE, SHARES_TO_USER = 1_500, 500, 12


def cursor_at(postgres, user, offset):
    """The listing cursor after `user`'s document number `offset` (newest first), as presignd
    encodes it (DocumentCursor: base64url of "<createdAt seconds>/<id>", unpadded)."""
    seconds, doc = postgres.psql(f"SELECT extract(epoch FROM created_at)::bigint, id FROM documents WHERE owner_id = '{user}' "
                                 f"AND status = 'ready' ORDER BY created_at DESC, id DESC OFFSET {offset} LIMIT 1")[0]
    return base64.urlsafe_b64encode(f"{seconds}/{doc}".encode()).decode().rstrip("="), doc


def run_sql_at_once(postgres, scripts, timeout=300):
    """Runs each script in its own psql session, all at the same time (the fill is CPU-bound
    index maintenance: two sessions use both cores)."""
    procs = [subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", postgres.url, "-c", script],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for script in scripts]
    errors = [p.communicate(timeout=timeout)[1] for p in procs]
    failed = [err for p, err in zip(procs, errors) if p.returncode != 0]
    assert not failed, failed


@dataclasses.dataclass(frozen=True)
class Fill:
    documents: int = 1_000_000
    users: int = 50_000
    whales: tuple = (("whale", 100_000),)  # (user id, documents): each gets exactly that many
    shares: int = 100_000
    audit_rows: int = 1_000_000
    audit_months: int = 6
    user: str = "alice"
    # The share of documents' pages TABLESAMPLE reads for the users' shares: enough ready
    # documents of users other than the whales for `shares` (12 % at 1,000,000 documents with one
    # whale of 100,000 and 100,000 shares).
    share_sample_percent: float = 12
    sessions: int = 2  # psql sessions filling at once (the cores)
    work_mem: str = "256MB"  # each session's, so it sorts its rows in memory
    timeout: int = 300  # seconds each phase may take

    def __post_init__(self):
        assert self.whales and sum(size for _, size in self.whales) <= self.documents
        assert self.shares > len(self.whales) * (SHARES_FROM_EACH_WHALE + SHARES_TO_EACH_WHALE)

    # --- users ---------------------------------------------------------------------------------

    @property
    def width(self):
        return max(5, len(str(self.users)))

    def user_id(self, number):
        """Fill user `number` (1 … users): 'u00001'."""
        return "u" + str(number).rjust(self.width, "0")

    def _fill_user(self, random):
        return f"'u' || lpad((1 + floor({self.users - 1} * {random}))::int::text, {self.width}, '0')"

    @property
    def skewed_user(self):
        """SQL: a fill user drawn so that a few users own hundreds of documents."""
        return self._fill_user("power(random(), 1.5)")

    @property
    def any_user(self):
        """SQL: any fill user, uniformly."""
        return self._fill_user("random()")

    # --- whales --------------------------------------------------------------------------------

    @property
    def whale_documents(self):
        return sum(size for _, size in self.whales)

    def whale_number(self, hit):
        """SQL: the whale owning whale row number `hit` (1 …): the rows go round the whales in a
        cycle where each whale has (its size / the sizes' gcd) places, so each gets exactly its
        size of every whale_documents consecutive numbers."""
        if len(self.whales) == 1:
            return f"'{self.whales[0][0]}'"
        unit = math.gcd(*(size for _, size in self.whales))
        cycle = self.whale_documents // unit
        cases, bound = [], 0
        for name, size in self.whales[:-1]:
            bound += size // unit
            cases.append(f"WHEN ({hit}) % {cycle} < {bound} THEN '{name}'")
        return f"CASE {' '.join(cases)} ELSE '{self.whales[-1][0]}' END"

    def document_owner(self, n="n"):
        """SQL: the owner of document number n (1 … documents). Document n is a whale's when
        floor(n × whale_documents / documents) steps up at n, which it does exactly
        whale_documents times, evenly apart (with one whale of a tenth: every tenth document)."""
        whales, total = self.whale_documents, self.documents
        step = f"({n}::bigint * {whales}) / {total}"
        return (f"CASE WHEN {step} > (({n}::bigint - 1) * {whales}) / {total} THEN {self.whale_number(step)} "
                f"ELSE {self.skewed_user} END")

    # --- the SQL -------------------------------------------------------------------------------

    def documents_sql(self, first, last):
        """Documents first…last: 93 % ready, the rest pending, uploading (with an uploadId and part
        size), rejected, expired or aborted; 30 % avatars; finished ones created over the past year,
        unfinished ones within the last 20 hours (older ones would have been swept). Inserted
        oldest first, so the table's order follows creation as it would."""
        return f"""
            INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, actual_size,
                                   actual_type, status, rejection, upload_id, part_size, created_at, updated_at)
            SELECT id, owner, prefix || '/' || owner || '/' || id || ext, purpose, 'file ' || n || ext, size, ctype,
                   CASE WHEN status = 'ready' THEN size END, CASE WHEN status = 'ready' THEN ctype END, status,
                   CASE WHEN status = 'rejected' THEN 'the uploaded object is larger than declared' END,
                   CASE WHEN status = 'uploading' THEN 'mpu-' || replace(id::text, '-', '') END,
                   CASE WHEN status = 'uploading' THEN 8388608 END,
                   created, created + interval '3 seconds'
            FROM (
                SELECT n, id, owner, status, purpose,
                       CASE purpose WHEN 'avatar' THEN 'avatars' ELSE 'documents' END AS prefix,
                       CASE purpose WHEN 'avatar' THEN '.png' ELSE '.pdf' END AS ext,
                       CASE purpose WHEN 'avatar' THEN 'image/png' ELSE 'application/pdf' END AS ctype,
                       1 + floor(r_size * 60000)::bigint AS size,
                       date_trunc('second', CASE WHEN status IN ('pending', 'uploading') THEN now() - r_time * interval '20 hours'
                                                 ELSE now() - interval '1 day' - r_time * interval '364 days' END) AS created
                FROM (
                    SELECT n, gen_random_uuid() AS id,
                           {self.document_owner()} AS owner,
                           CASE WHEN r < 0.93 THEN 'ready' WHEN r < 0.95 THEN 'pending' WHEN r < 0.96 THEN 'uploading'
                                WHEN r < 0.97 THEN 'rejected' WHEN r < 0.99 THEN 'expired' ELSE 'aborted' END AS status,
                           CASE WHEN random() < 0.3 THEN 'avatar' ELSE 'document' END AS purpose,
                           random() AS r_size, random() AS r_time
                    FROM (SELECT n, random() AS r FROM generate_series({first}, {last}) AS n) g
                ) s
            ) t
            ORDER BY created
            """

    def audit_sql(self, first, last):
        """Audit rows first…last over the last audit_months months (their partitions exist, as the
        sweeper makes them month by month); every tenth by a whale; oldest first."""
        return f"""
            INSERT INTO audit_log (at, actor, action, resource, client_address)
            SELECT date_trunc('second', now() - random() * interval '{self.audit_months * 30 - 3} days'),
                   CASE WHEN n % 10 = 0 THEN {self.whale_number('n / 10')} ELSE {self.skewed_user} END,
                   (ARRAY['upload.presign', 'upload.confirm', 'document.download', 'document.download', 'document.download',
                          'document.share', 'document.delete'])[1 + floor(random() * 7)::int],
                   'document:' || gen_random_uuid(),
                   '10.' || (n % 200) || '.' || ((n / 200) % 250) || '.' || ((n / 50000) % 250)
            FROM generate_series({first}, {last}) AS n
            ORDER BY 1
            """

    def second_phase_sql(self):
        """Then: about `shares` shares of ready documents with other users; the typical user's own
        documents (25) and a few shared with her; shares from and to each whale; three stale
        pending uploads for the sweeper."""
        user, whales = self.user, ", ".join(f"'{name}'" for name, _ in self.whales)
        stale = self.user_id(STALE_UPLOADS_OWNER)
        sql = f"""
            INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, actual_size,
                                   actual_type, status, created_at, updated_at)
            SELECT id, '{user}', 'documents/{user}/' || id || '.pdf', 'document', 'report ' || n || '.pdf', 1000 + n,
                   'application/pdf', 1000 + n, 'application/pdf', 'ready', created, created
            FROM (SELECT n, gen_random_uuid() AS id, date_trunc('second', now() - n * interval '1 day') AS created
                  FROM generate_series(1, 25) AS n) a;
            INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, status,
                                   created_at, updated_at)
            SELECT id, '{stale}', 'documents/{stale}/' || id || '.pdf', 'document', 'left.pdf', 10, 'application/pdf', 'pending',
                   created, created
            FROM (SELECT gen_random_uuid() AS id, date_trunc('second', now() - interval '3 days') AS created
                  FROM generate_series(1, 3)) p;
            INSERT INTO document_shares (document_id, user_id, created_at)
            SELECT id, shared_with, created_at + interval '1 hour'
            FROM (SELECT id, owner_id, created_at, {self.any_user} AS shared_with
                  FROM documents TABLESAMPLE SYSTEM ({self.share_sample_percent:g}) REPEATABLE (24)
                  WHERE status = 'ready' AND owner_id NOT IN ({whales})) d
            WHERE shared_with <> owner_id
            LIMIT {self.shares - len(self.whales) * (SHARES_FROM_EACH_WHALE + SHARES_TO_EACH_WHALE)}
            ON CONFLICT DO NOTHING;
            """
        low, high = (self.user_id(n) for n in SHARING_WITH_WHALES)
        for whale, _ in self.whales:
            sql += f"""
            INSERT INTO document_shares (document_id, user_id, created_at)
            SELECT id, {self.any_user}, created_at + interval '1 hour'
            FROM documents WHERE owner_id = '{whale}' AND status = 'ready' LIMIT {SHARES_FROM_EACH_WHALE}
            ON CONFLICT DO NOTHING;
            INSERT INTO document_shares (document_id, user_id, created_at)
            SELECT id, '{whale}', created_at + interval '1 hour'
            FROM documents WHERE owner_id BETWEEN '{low}' AND '{high}' AND status = 'ready' LIMIT {SHARES_TO_EACH_WHALE}
            ON CONFLICT DO NOTHING;
            """
        low, high = (self.user_id(n) for n in SHARING_WITH_USER)
        return sql + f"""
            INSERT INTO document_shares (document_id, user_id, created_at)
            SELECT id, '{user}', created_at + interval '1 hour'
            FROM documents WHERE owner_id BETWEEN '{low}' AND '{high}' AND status = 'ready' LIMIT {SHARES_TO_USER}
            ON CONFLICT DO NOTHING;
            """

    # --- filling -------------------------------------------------------------------------------

    def run(self, postgres):
        """Fills `postgres` (a PostgresCluster at schema FILL_SCHEMA_VERSION): the past months'
        audit partitions first (so no row lands in the default partition), then documents and
        audit rows in `sessions` sessions at once, then the rest. Returns the seconds each phase
        took: {"partitions", "rows", "shares"}."""
        took, started = {}, time.monotonic()
        postgres.psql(f"SELECT presignd_audit_partition(((now() AT TIME ZONE 'UTC')::date - make_interval(months => m))::date) "
                      f"FROM generate_series(1, {self.audit_months}) AS m")
        took["partitions"] = time.monotonic() - started
        sort_in_memory = f"SET work_mem = '{self.work_mem}';"
        scripts = []
        for k in range(self.sessions):
            documents = (self.documents * k // self.sessions + 1, self.documents * (k + 1) // self.sessions)
            audit = (self.audit_rows * k // self.sessions + 1, self.audit_rows * (k + 1) // self.sessions)
            scripts.append(sort_in_memory + self.documents_sql(*documents) + ";" + self.audit_sql(*audit))
        started = time.monotonic()
        run_sql_at_once(postgres, scripts, self.timeout)
        took["rows"] = time.monotonic() - started
        started = time.monotonic()
        run_sql_at_once(postgres, [self.second_phase_sql()], self.timeout)
        took["shares"] = time.monotonic() - started
        return took
