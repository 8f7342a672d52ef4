/* The floor for presignd's write routes (issue 12): the least a FastCGI program can do for the
 * same three routes, served the way presignd serves them. bench/floor.py runs it next to presignd
 * behind one nginx and one PostgreSQL and compares the two.
 *
 * One process serves the listening socket it inherits on fd 0 (the driver starts several, like
 * presignd's prefork workers) with FLOOR_THREADS threads, each owning one FCGX_Request (so nginx's
 * kept-alive connections never stall one another) and one libpq connection with its statements
 * prepared once, typed. Per request: the params libfcgi parsed, the body read, one HMAC-SHA256
 * (an EVP_MAC context reused), one prepared statement, a fixed answer. No JSON, no JWT, no
 * validation: the answer is the one presignd gave for the same request (bytes read from files at
 * start), with the HMAC's hex written over its signature so the work cannot be skipped.
 *
 *   POST /api/uploads/presign         a fresh UUID and key; INSERT the document row + audit row and
 *                                     add it to the owner's usage row (one statement, the rows
 *                                     presignd's presign route writes)
 *   GET  /api/documents/{id}/download the ready document by id, owner or shared-with check, and
 *                                     its audit row, in one statement (as presignd does)
 *   POST /api/auth/cdn-cookies        the audit row INSERT
 *   GET  /healthz                     the answer only
 *
 * Environment: DATABASE_URL (libpq conninfo), FLOOR_THREADS (8), FLOOR_SECRET (the HMAC key),
 * FLOOR_USER (the token's user, bench-user), FLOOR_KEY_PREFIX (documents/bench-user/),
 * FLOOR_KEY_SUFFIX (.pdf), FLOOR_PURPOSE, FLOOR_FILE_NAME, FLOOR_CONTENT_TYPE, FLOOR_FILE_SIZE
 * (the presign body's values), FLOOR_CDN_RESOURCE (cdn:<domain>), and FLOOR_ANSWER_PRESIGN,
 * FLOOR_ANSWER_DOWNLOAD, FLOOR_ANSWER_CDN, FLOOR_ANSWER_HEALTHZ: files holding the whole FastCGI
 * answer (CGI headers, blank line, body); FLOOR_STATEMENTS=presignd runs presignd's statements
 * instead of the floor's, and FLOOR_BURN_*_US burns CPU per request (see below).
 * Build (bench/floor.sh does): gcc -O2 -pthread floor.c $(pkg-config --cflags --libs libpq) -lfcgi -lcrypto */
#include <fcgiapp.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define OID_INT8 20
#define OID_TEXT 25
#define OID_UUID 2950

static const char presign_sql[] =
    "WITH reserved AS (INSERT INTO upload_usage AS u (owner_id, purpose, files, bytes) VALUES ($2, $4, 1, $6) "
    "ON CONFLICT (owner_id, purpose) DO UPDATE SET files = u.files + 1, bytes = u.bytes + $6), "
    "audit AS (INSERT INTO audit_log (at, actor, action, resource, client_address) "
    "VALUES (now(), $2, 'upload.presign', $8, $9)) "
    "INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, status, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', now(), now())";
static const Oid presign_types[] = {OID_UUID, OID_TEXT, OID_TEXT, OID_TEXT, OID_TEXT, OID_INT8, OID_TEXT, OID_TEXT, OID_TEXT};

static const char download_sql[] =
    "WITH doc AS (SELECT d.object_key, d.file_name, d.declared_type, d.actual_type FROM documents d "
    "WHERE d.id = $1 AND d.status = 'ready' AND (d.owner_id = $2 OR EXISTS "
    "(SELECT 1 FROM document_shares s WHERE s.document_id = d.id AND s.user_id = $2))), "
    "audit AS (INSERT INTO audit_log (at, actor, action, resource, client_address) "
    "SELECT now(), $2, 'document.download', $3, $4 FROM doc) "
    "SELECT * FROM doc";
static const Oid download_types[] = {OID_UUID, OID_TEXT, OID_TEXT, OID_TEXT};

static const char cdn_sql[] =
    "INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES (now(), $1, 'cdn.cookies', $2, $3)";
static const Oid cdn_types[] = {OID_TEXT, OID_TEXT, OID_TEXT};

/* FLOOR_STATEMENTS=presignd: presignd's own statements as PostgresDocumentStore renders them
 * (insert, openForDownload, record), untyped parameters in its order, timestamps through
 * to_timestamp($n), and its connection options, so the driver can tell the statements' cost from
 * everything else presignd does. */
static const char presignd_presign_sql[] =
    "WITH audit AS (\n"
    "    INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES (to_timestamp($4::bigint), $5, $6, $7, $8)\n"
    "), reserved AS (\n"
    "    INSERT INTO upload_usage AS u (owner_id, purpose, files, bytes) VALUES ($1, $2, 1, $3::bigint)\n"
    "    ON CONFLICT (owner_id, purpose) DO UPDATE SET files = u.files + 1, bytes = u.bytes + $3::bigint\n"
    ")\n"
    "INSERT INTO documents (id, owner_id, object_key, purpose, file_name, declared_size, declared_type, status,\n"
    "                       upload_id, part_size, created_at, updated_at, checksum, bucket)\n"
    "VALUES ($9::uuid, $10, $11, $12, $13, $14::bigint, $15, $16, $17, $18::bigint, to_timestamp($19::bigint), "
    "to_timestamp($19::bigint), $20, $21)";
static const char presignd_download_sql[] =
    "WITH doc AS (\n"
    "    SELECT d.id::text, d.owner_id, d.object_key, d.purpose, d.file_name, d.declared_size, d.declared_type, d.actual_size,\n"
    "d.actual_type, d.status, d.rejection, d.upload_id, d.part_size, extract(epoch from d.created_at)::bigint\n"
    "    FROM documents d\n"
    "    WHERE d.id = $1::uuid AND d.status = 'ready'\n"
    "      AND (d.owner_id = $2\n"
    "           OR EXISTS (SELECT 1 FROM document_shares s WHERE s.document_id = d.id AND s.user_id = $3))\n"
    "), audit AS (\n"
    "    INSERT INTO audit_log (at, actor, action, resource, client_address)\n"
    "    SELECT to_timestamp($4), $5, $6, $7, $8 FROM doc\n"
    ")\n"
    "SELECT * FROM doc";
static const char presignd_cdn_sql[] =
    "INSERT INTO audit_log (at, actor, action, resource, client_address) VALUES (to_timestamp($1), $2, $3, $4, $5)";
static int presignd_statements = 0;

/* FLOOR_BURN_PRESIGN_US, _DOWNLOAD_US, _CDN_US: CPU microseconds burnt per request before the
 * statement, so the floor can run at presignd's rate with presignd's CPU per request: what is
 * left of PostgreSQL's difference then comes from the statements, not from the load. */
static long burn_presign_ns, burn_download_ns, burn_cdn_ns;

static void burn(long nanoseconds) {
    if (nanoseconds <= 0) return;
    struct timespec start, now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    do {
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < nanoseconds);
}

static const char not_found[] = "Status: 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
static const char failed[] = "Status: 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

/* A canned answer; `signature` is the offset of 64 hex digits the HMAC overwrites, or -1. */
struct answer {
    char *bytes;
    int length;
    long signature;
};

static struct answer presign_answer, download_answer, cdn_answer, healthz_answer;
static const char *conninfo, *secret, *user, *key_prefix, *key_suffix, *purpose, *file_name, *content_type, *file_size,
    *cdn_resource;
static int listen_fd = 0;

static const char *setting(const char *name, const char *fallback) {
    const char *value = getenv(name);
    if (value && *value) return value;
    if (fallback) return fallback;
    fprintf(stderr, "floor: %s is required\n", name);
    exit(2);
}

static int is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

/* The first run of 64 lower-case hex digits after "amz-signature" (a POST form's field or a
 * presigned URL's query parameter), or -1. */
static long find_signature(const char *bytes, int length) {
    for (int i = 0; i + 13 <= length; i++) {
        if (strncasecmp(bytes + i, "amz-signature", 13) != 0) continue;
        for (int j = i + 13; j + 64 <= length; j++) {
            int run = 0;
            while (run < 64 && is_hex(bytes[j + run])) run++;
            if (run == 64) return j;
        }
    }
    return -1;
}

static void load(struct answer *answer, const char *variable) {
    const char *path = setting(variable, NULL);
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(2); }
    fseek(file, 0, SEEK_END);
    answer->length = (int)ftell(file);
    rewind(file);
    answer->bytes = malloc((size_t)answer->length);
    if (fread(answer->bytes, 1, (size_t)answer->length, file) != (size_t)answer->length) { perror(path); exit(2); }
    fclose(file);
    answer->signature = find_signature(answer->bytes, answer->length);
}

static void prepare(PGconn *db, const char *name, const char *sql, int count, const Oid *types) {
    PGresult *result = PQprepare(db, name, sql, count, types);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
        fprintf(stderr, "floor: prepare %s: %s", name, PQerrorMessage(db));
        exit(1);
    }
    PQclear(result);
}

static void to_hex(const unsigned char *bytes, int count, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < count; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
}

/* One serving thread's state: its request, connection, HMAC context and answer copies. */
struct thread {
    FCGX_Request request;
    PGconn *db;
    EVP_MAC_CTX *mac;
    struct answer presign, download;
    char body[65536];
};

/* HMAC-SHA256 of (a, b) under the secret, as hex over the answer's signature. */
static void sign(struct thread *t, struct answer *answer, const char *a, size_t a_length, const char *b, size_t b_length) {
    unsigned char digest[32];
    size_t digest_length = 0;
    EVP_MAC_init(t->mac, (const unsigned char *)secret, strlen(secret), NULL);
    EVP_MAC_update(t->mac, (const unsigned char *)a, a_length);
    EVP_MAC_update(t->mac, (const unsigned char *)b, b_length);
    EVP_MAC_final(t->mac, digest, &digest_length, sizeof digest);
    if (answer->signature >= 0) to_hex(digest, 32, answer->bytes + answer->signature);
}

static void put(struct thread *t, const char *bytes, int length) { FCGX_PutStr(bytes, length, t->request.out); }

static int read_body(struct thread *t) {
    const char *text = FCGX_GetParam("CONTENT_LENGTH", t->request.envp);
    int wanted = text ? atoi(text) : 0, filled = 0;
    if (wanted > (int)sizeof t->body) wanted = (int)sizeof t->body;
    while (filled < wanted) {
        int got = FCGX_GetStr(t->body + filled, wanted - filled, t->request.in);
        if (got <= 0) break;
        filled += got;
    }
    return filled;
}

static void presign(struct thread *t, const char *address) {
    int length = read_body(t);
    burn(burn_presign_ns);
    unsigned char random[16];
    char id[37], key[512], resource[64];
    RAND_bytes(random, 16);
    random[6] = (random[6] & 0x0F) | 0x40;
    random[8] = (random[8] & 0x3F) | 0x80;
    char hex[32];
    to_hex(random, 16, hex);
    snprintf(id, sizeof id, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    snprintf(key, sizeof key, "%s%s%s", key_prefix, id, key_suffix);
    snprintf(resource, sizeof resource, "document:%s", id);
    sign(t, &t->presign, t->body, (size_t)length, key, strlen(key));
    const char *values[] = {id, user, key, purpose, file_name, file_size, content_type, resource, address};
    char at[24];
    snprintf(at, sizeof at, "%ld", (long)time(NULL));
    const char *theirs[] = {user, purpose, file_size, at, user, "upload.presign", resource, address,
                            id, user, key, purpose, file_name, file_size, content_type, "pending", NULL, NULL, at, NULL, NULL};
    PGresult *result = presignd_statements ? PQexecPrepared(t->db, "presign", 21, theirs, NULL, NULL, 0)
                                           : PQexecPrepared(t->db, "presign", 9, values, NULL, NULL, 0);
    int ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "floor: presign: %s", PQerrorMessage(t->db));
    PQclear(result);
    if (ok) put(t, t->presign.bytes, t->presign.length);
    else put(t, failed, sizeof failed - 1);
}

static void download(struct thread *t, const char *uri, const char *address) {
    static const char prefix[] = "/api/documents/";
    char id[37], resource[64];
    burn(burn_download_ns);
    memcpy(id, uri + sizeof prefix - 1, 36);
    id[36] = 0;
    snprintf(resource, sizeof resource, "document:%s", id);
    const char *values[] = {id, user, resource, address};
    char at[24];
    snprintf(at, sizeof at, "%ld", (long)time(NULL));
    const char *theirs[] = {id, user, user, at, user, "document.download", resource, address};
    PGresult *result = presignd_statements ? PQexecPrepared(t->db, "download", 8, theirs, NULL, NULL, 0)
                                           : PQexecPrepared(t->db, "download", 4, values, NULL, NULL, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK) {
        fprintf(stderr, "floor: download: %s", PQerrorMessage(t->db));
        put(t, failed, sizeof failed - 1);
    } else if (PQntuples(result) != 1) {
        put(t, not_found, sizeof not_found - 1);
    } else {
        const char *object_key = PQgetvalue(result, 0, presignd_statements ? 2 : 0);
        sign(t, &t->download, object_key, strlen(object_key), id, 36);
        put(t, t->download.bytes, t->download.length);
    }
    PQclear(result);
}

static void cdn_cookies(struct thread *t, const char *address) {
    read_body(t);
    burn(burn_cdn_ns);
    const char *values[] = {user, cdn_resource, address};
    char at[24];
    snprintf(at, sizeof at, "%ld", (long)time(NULL));
    const char *theirs[] = {at, user, "cdn.cookies", cdn_resource, address};
    PGresult *result = presignd_statements ? PQexecPrepared(t->db, "cdn", 5, theirs, NULL, NULL, 0)
                                           : PQexecPrepared(t->db, "cdn", 3, values, NULL, NULL, 0);
    int ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "floor: cdn: %s", PQerrorMessage(t->db));
    PQclear(result);
    if (ok) put(t, cdn_answer.bytes, cdn_answer.length);
    else put(t, failed, sizeof failed - 1);
}

static struct answer copy(const struct answer *answer) {
    struct answer mine = *answer;
    mine.bytes = malloc((size_t)answer->length);
    memcpy(mine.bytes, answer->bytes, (size_t)answer->length);
    return mine;
}

static void *serve(void *unused) {
    (void)unused;
    struct thread *t = calloc(1, sizeof *t);
    FCGX_InitRequest(&t->request, listen_fd, 0);
    if (presignd_statements) {
        /* presignd's PostgresSettings.parameters: its options first, the connection string last. */
        const char *keywords[] = {"connect_timeout", "options", "application_name", "dbname", NULL};
        const char *values[] = {"5", "-c statement_timeout=5000 -c client_min_messages=warning", "presignd", conninfo, NULL};
        t->db = PQconnectdbParams(keywords, values, 1);
    } else {
        t->db = PQconnectdb(conninfo);
    }
    if (PQstatus(t->db) != CONNECTION_OK) {
        fprintf(stderr, "floor: connect: %s", PQerrorMessage(t->db));
        exit(1);
    }
    if (presignd_statements) {
        prepare(t->db, "presign", presignd_presign_sql, 21, NULL);
        prepare(t->db, "download", presignd_download_sql, 8, NULL);
        prepare(t->db, "cdn", presignd_cdn_sql, 5, NULL);
    } else {
        prepare(t->db, "presign", presign_sql, 9, presign_types);
        prepare(t->db, "download", download_sql, 4, download_types);
        prepare(t->db, "cdn", cdn_sql, 3, cdn_types);
    }
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    t->mac = EVP_MAC_CTX_new(hmac);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0), OSSL_PARAM_construct_end()};
    EVP_MAC_CTX_set_params(t->mac, params);
    t->presign = copy(&presign_answer);
    t->download = copy(&download_answer);

    while (FCGX_Accept_r(&t->request) >= 0) {
        const char *uri = FCGX_GetParam("DOCUMENT_URI", t->request.envp);
        const char *method = FCGX_GetParam("REQUEST_METHOD", t->request.envp);
        const char *address = FCGX_GetParam("REMOTE_ADDR", t->request.envp);
        if (!uri || !method) uri = method = "";
        if (!address) address = "";
        size_t length = strlen(uri);
        if (strcmp(method, "POST") == 0 && strcmp(uri, "/api/uploads/presign") == 0) {
            presign(t, address);
        } else if (strcmp(method, "GET") == 0 && length == 15 + 36 + 9 && strncmp(uri, "/api/documents/", 15) == 0
                   && strcmp(uri + 15 + 36, "/download") == 0) {
            download(t, uri, address);
        } else if (strcmp(method, "POST") == 0 && strcmp(uri, "/api/auth/cdn-cookies") == 0) {
            cdn_cookies(t, address);
        } else if (strcmp(uri, "/healthz") == 0) {
            put(t, healthz_answer.bytes, healthz_answer.length);
        } else {
            put(t, not_found, sizeof not_found - 1);
        }
    }
    return NULL;
}

int main(void) {
    int threads = atoi(setting("FLOOR_THREADS", "8"));
    conninfo = setting("DATABASE_URL", NULL);
    secret = setting("FLOOR_SECRET", "floor-secret");
    user = setting("FLOOR_USER", "bench-user");
    key_prefix = setting("FLOOR_KEY_PREFIX", "documents/bench-user/");
    key_suffix = setting("FLOOR_KEY_SUFFIX", ".pdf");
    purpose = setting("FLOOR_PURPOSE", "document");
    file_name = setting("FLOOR_FILE_NAME", "bench.pdf");
    content_type = setting("FLOOR_CONTENT_TYPE", "application/pdf");
    file_size = setting("FLOOR_FILE_SIZE", "4");
    cdn_resource = setting("FLOOR_CDN_RESOURCE", "cdn:cdn.bench.test");
    presignd_statements = strcmp(setting("FLOOR_STATEMENTS", "floor"), "presignd") == 0;
    burn_presign_ns = atol(setting("FLOOR_BURN_PRESIGN_US", "0")) * 1000;
    burn_download_ns = atol(setting("FLOOR_BURN_DOWNLOAD_US", "0")) * 1000;
    burn_cdn_ns = atol(setting("FLOOR_BURN_CDN_US", "0")) * 1000;
    load(&presign_answer, "FLOOR_ANSWER_PRESIGN");
    load(&download_answer, "FLOOR_ANSWER_DOWNLOAD");
    load(&cdn_answer, "FLOOR_ANSWER_CDN");
    load(&healthz_answer, "FLOOR_ANSWER_HEALTHZ");
    if (FCGX_Init() != 0 || FCGX_IsCGI()) {
        fprintf(stderr, "floor: fd 0 must be the FastCGI listening socket\n");
        return 2;
    }
    /* SIGTERM ends the process with exit(0) from the main thread (so a profiler writes its
     * results); the serving threads never see it. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    pthread_t id;
    if (threads < 1 || threads > 64) threads = 8;
    for (int i = 0; i < threads; i++) pthread_create(&id, NULL, serve, NULL);
    int signal_number;
    sigwait(&stop, &signal_number);
    exit(0);
}
