"""One configuration value (issue 19): every variable of README's configuration tables appears in
`check-config`'s output, and a bad value of each fails both `check-config` and `serve`'s start
(78, naming the variable, before any worker is forked). The variables are read from README.md
itself, so a variable added there without a bad value here fails this test."""
import os
import re
import signal
import subprocess
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.presignd import binary

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# README's configuration tables: the three under "## Configuration" and the media route's.
SECTIONS = ["### Serving", "### JWT authentication", "### Flows, S3 and PostgreSQL", "## Images at fixed URLs: the media route",
            "## Events and webhooks: the application learns of every upload"]
# README abbreviates related variables after a full name; these are what the abbreviations stand for.
ABBREVIATIONS = {
    "_HS384_": "PRESIGND_JWT_HS384_SECRET",
    "_HS512_": "PRESIGND_JWT_HS512_SECRET",
    "_FILE": "PRESIGND_JWT_HS256_SECRET_FILE",
    "_TIMEOUT_MS": "PRESIGND_JWT_JWKS_TIMEOUT_MS",
    "_REFRESH_INTERVAL": "PRESIGND_JWT_JWKS_REFRESH_INTERVAL",
    "_DOCUMENTS": "PRESIGND_JWT_SCOPES_DOCUMENTS",
    "_CDN": "PRESIGND_JWT_SCOPES_CDN",
}
# Variables every value of which presignd accepts: free text it compares or passes on.
ANY_VALUE = {
    "PRESIGND_JWT_HMAC_KID": "a kid is compared as text",
    "PRESIGND_JWT_PUBLIC_KEY_KID": "a kid is compared as text",
    "PRESIGND_JWT_ISSUER": "compared with iss",
    "PRESIGND_JWT_AUDIENCE": "compared with aud",
    "PRESIGND_JWT_USER_CLAIM": "a claim name (or dotted path)",
    "PRESIGND_JWT_SCOPE_CLAIMS": "claim names",
    "PRESIGND_JWT_SCOPES_UPLOADS": "scope names",
    "PRESIGND_JWT_SCOPES_DOCUMENTS": "scope names",
    "PRESIGND_JWT_SCOPES_CDN": "scope names",
}
# One bad value per variable; a dict when the value is only wrong together with others
# (None removes a variable from the valid environment).
BAD = {
    "PRESIGND_LISTEN": "nowhere:port",
    "PRESIGND_WEBHOOKS": '{"app": {"url": "ftp://app.internal/hooks", "secrets": ["whsec_short"]}}',
    "PRESIGND_EVENTS": "sometimes",
    "PRESIGND_WEBHOOK_TIMEOUT_MS": "5",
    "PRESIGND_WEBHOOK_MAX_ATTEMPTS": "0",
    "PRESIGND_WEBHOOK_RETRY_BASE_MS": "soon",
    "PRESIGND_WEBHOOK_RETRY_MAX_MS": {"PRESIGND_WEBHOOK_RETRY_BASE_MS": "60000", "PRESIGND_WEBHOOK_RETRY_MAX_MS": "1000"},
    "PRESIGND_EVENT_RETENTION_DAYS": "0",
    "PRESIGND_WEBHOOK_DELIVERY": "cron",
    "PRESIGND_SOCKET_MODE": "0999",
    "PRESIGND_WORKERS": "many",
    "PRESIGND_THREADS": "lots",
    "PRESIGND_BODY_LIMIT": "-1",
    "PRESIGND_HEADER_LIMIT": "big",
    "PRESIGND_DRAIN_TIMEOUT": "soon",
    "PRESIGND_READ_TIMEOUT": "later",
    "PRESIGND_METRICS_ALLOW": "not-a-cidr",
    "PRESIGND_METRICS_SLOTS": "1",
    "PRESIGND_LOG_FORMAT": "xml",
    "PRESIGND_ACCESS_LOG": "some",
    "PRESIGND_ENV_FILE": "/nonexistent/presignd.env",
    "PRESIGND_JWT_HS256_SECRET": "short",
    "PRESIGND_JWT_HS384_SECRET": "short",
    "PRESIGND_JWT_HS512_SECRET": "short",
    "PRESIGND_JWT_HS256_SECRET_FILE": {"PRESIGND_JWT_HS256_SECRET": None, "PRESIGND_JWT_HS256_SECRET_FILE": "/nonexistent/secret"},
    "PRESIGND_JWT_PUBLIC_KEY_FILE": {"PRESIGND_JWT_PUBLIC_KEY_FILE": "/nonexistent/key.pem", "PRESIGND_JWT_PUBLIC_KEY_ALG": "ES256"},
    "PRESIGND_JWT_PUBLIC_KEY_ALG": {"PRESIGND_JWT_PUBLIC_KEY_FILE": "/nonexistent/key.pem", "PRESIGND_JWT_PUBLIC_KEY_ALG": "HS256"},
    "PRESIGND_JWT_JWKS_FILE": "/nonexistent/jwks.json",
    "PRESIGND_JWT_JWKS_URL": "http://idp.example/jwks",
    "PRESIGND_JWT_JWKS_TIMEOUT_MS": "5",
    "PRESIGND_JWT_JWKS_REFRESH_INTERVAL": "0",
    "PRESIGND_JWT_LEEWAY": "-1",
    "PRESIGND_JWT_REQUIRE_EXP": "maybe",
    "PRESIGND_JWT_MAX_LIFETIME": "5",
    "PRESIGND_JWT_COOKIE": "a=b",
    "DATABASE_URL": "postgresql://[::1",
    "PGCONNECT_TIMEOUT": "0",
    "PRESIGND_DB_STATEMENT_TIMEOUT_MS": "1",
    "PRESIGND_DB_POOLER": "pgbouncer",
    "PRESIGND_DATABASE_READ_URL": "postgresql://[::1",
    "PRESIGND_DATABASE_READ_MAX_LAG_MS": "5",
    "AWS_REGION": "not a region!",
    "AWS_DEFAULT_REGION": "Not_A_Region",
    "AWS_ENDPOINT_URL_S3": "ftp://store.example",
    "AWS_ENDPOINT_URL": {"AWS_ENDPOINT_URL_S3": None, "AWS_ENDPOINT_URL": "ftp://store.example"},
    "PRESIGND_S3_ADDRESSING": "sideways",
    "AWS_ACCESS_KEY_ID": "has/slash",
    "AWS_SECRET_ACCESS_KEY": "has space",
    "AWS_SESSION_TOKEN": "has space",
    "AWS_PROFILE": {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_PROFILE": "missing"},
    "PRESIGND_BUCKET": "Uploads_Bucket",
    "PRESIGND_PURPOSES": "{not json",
    "PRESIGND_STORE_PROFILE": "s4",
    "PRESIGND_MULTIPART_PART_SIZE": "1",
    "PRESIGND_UPPY_PREFIX": "api/uppy/",
    "PRESIGND_UPPY_PURPOSE": "nope",
    "PRESIGND_SWEEP_AFTER": "1",
    "PRESIGND_QUOTA_FILES": "-1",
    "PRESIGND_QUOTA_BYTES": "lots",
    "PRESIGND_AUDIT_RETENTION_MONTHS": "forever",
    "PRESIGND_CORS_ORIGINS": "not-a-url",
    "PRESIGND_CORS_MAX_AGE": "long",
    "PRESIGND_UPLOAD_EXPIRES": "999999999",
    "PRESIGND_DOWNLOAD_EXPIRES": "0",
    "PRESIGND_CDN_COOKIE_EXPIRES": "0",
    "PRESIGND_CDN_DOMAIN": "not a domain",
    "PRESIGND_CDN_PATH_PATTERN": "no-slash",
    "PRESIGND_CDN_COOKIE_DOMAIN": "bad domain!",
    "PRESIGND_CLOUDFRONT_KEY_PAIR_ID": "bad id!",
    "PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE": "/nonexistent/cloudfront.pem",
    "PRESIGND_MEDIA_PREFIX": "/api/media",
    "PRESIGND_MEDIA_OWNER_PATHS": "/images/*",
    "PRESIGND_MEDIA_URL_EXPIRES": "1",
    "PRESIGND_MEDIA_MAX_AGE": "-1",
    "PRESIGND_MEDIA_PRESETS": "thumb=64x64:stretch",
    "PRESIGND_MEDIA_IMAGE_MAX_BYTES": "100",
    "PRESIGND_MEDIA_IMAGE_MAX_PIXELS": "0",
    "PRESIGND_CLOUDFRONT_TRUSTED_KEYS": "no-equals-sign",
}


def readme_variables():
    text = open(os.path.join(ROOT, "README.md")).read()
    names = []
    for heading in SECTIONS:
        start = text.index("\n" + heading + "\n") + 1  # the heading itself, not a longer one it begins
        end = text.find("\n## ", start + 1)
        for line in text[start:end if end >= 0 else None].splitlines():
            if not line.startswith("| `"):
                continue
            first_column = line.split("|")[1]
            for token in re.findall(r"`([A-Z_][A-Z0-9_]*)`", first_column):
                if token.startswith("_"):
                    assert token in ABBREVIATIONS, f"README abbreviates {token}: say here what it stands for"
                    token = ABBREVIATIONS[token]
                if token not in names:
                    names.append(token)
    return names


VARIABLES = readme_variables()


@pytest.fixture(scope="module")
def valid_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("configuration")
    key = root / "cloudfront.pem"
    key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    credentials = root / "credentials"
    credentials.write_text("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PRESIGND_LISTEN": str(root / "presignd.sock"),
        "PRESIGND_WORKERS": "1",
        "PRESIGND_JWT_HS256_SECRET": "configuration-test-secret-0123456789abcdef",
        "PRESIGND_BUCKET": "uploads",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example-secret",
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9",
        "DATABASE_URL": "postgresql://presignd@127.0.0.1:9/presignd",
        "PRESIGND_CDN_DOMAIN": "cdn.app.test",
        "PRESIGND_CLOUDFRONT_KEY_PAIR_ID": "K2JCJMDEHXQW5F",
        "PRESIGND_CLOUDFRONT_PRIVATE_KEY_FILE": str(key),
    }


def with_changes(env, change):
    env = dict(env)
    for name, value in change.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def check_config(env):
    return subprocess.run([binary(), "check-config"], env=env, capture_output=True, text=True, timeout=30)


def serve(env, timeout=10):
    """`presignd serve`: (exit status or None if it was still serving, stderr)."""
    process = subprocess.Popen([binary(), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        _, err = process.communicate(timeout=timeout)
        return process.returncode, err
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, err = process.communicate()
        return None, err


def test_readme_lists_the_variables_this_test_knows():
    assert len(VARIABLES) >= 50, VARIABLES
    unknown = [name for name in VARIABLES if name not in BAD and name not in ANY_VALUE]
    assert unknown == [], f"README variables with no bad value here (add one, or say why any value is accepted): {unknown}"


def test_every_variable_appears_in_check_config(valid_env):
    result = check_config(valid_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "configuration OK" in result.stdout
    printed = set(re.findall(r"^  ([A-Z][A-Z0-9_]*) = ", result.stdout, re.M))
    missing = [name for name in VARIABLES if name not in printed and name != "PRESIGND_JWT_HS256_SECRET_FILE"]
    assert missing == [], f"check-config does not print {missing}"
    for secret in ("configuration-test-secret", "example-secret"):
        assert secret not in result.stdout


def test_the_valid_configuration_serves(valid_env):
    """The baseline starts serving, so the refusals below are the bad values' doing."""
    status, err = serve(valid_env, timeout=3)
    assert status is None, err
    assert "serving FastCGI" in err, err


@pytest.mark.parametrize("variable", [name for name in VARIABLES if name in BAD])
def test_a_bad_value_fails_check_config_and_serve(valid_env, variable):
    change = BAD[variable] if isinstance(BAD[variable], dict) else {variable: BAD[variable]}
    env = with_changes(valid_env, change)
    result = check_config(env)
    assert result.returncode == 78, f"check-config accepted {change}: {result.stdout}"
    assert f"error: {variable}" in result.stderr, result.stderr
    started = time.monotonic()
    status, err = serve(env)
    assert status == 78, f"serve with {change} did not exit 78 ({status}): {err[-2000:]}"
    assert variable in err, err
    assert "serving FastCGI" not in err and "worker" not in err, "refused after forking: " + err[-2000:]
    assert time.monotonic() - started < 5


# Bad values that hide others when set together: what each shadows, and why.
SHADOWING = {
    "PRESIGND_ENV_FILE": "an unreadable file stops the load before any variable is read",
    "AWS_DEFAULT_REGION": "AWS_REGION is read first and wins",
    "PRESIGND_UPPY_PURPOSE": "with PRESIGND_PURPOSES refused, the default purposes decide what it may name",
}


def test_every_bad_value_at_once_is_named(valid_env):
    """One load names every bad variable, not the first of each section: all the bad values
    above that stand alone, set together, and each is named by check-config and by serve."""
    together = {name: value for name, value in BAD.items()
                if isinstance(value, str) and name in VARIABLES and name not in SHADOWING}
    assert len(together) >= 30, together
    env = with_changes(valid_env, together)
    result = check_config(env)
    assert result.returncode == 78, result.stdout
    named = set(re.findall(r"error: ([A-Z][A-Z0-9_]*):", result.stderr))
    assert sorted(set(together) - named) == [], (sorted(set(together) - named), result.stderr)
    status, err = serve(env)
    assert status == 78, err[-2000:]
    assert sorted(name for name in together if name not in err) == [], err[-3000:]


def test_a_reload_with_a_bad_value_keeps_the_running_workers(valid_env, tmp_path):
    """SIGHUP re-reads PRESIGND_ENV_FILE; a bad value there is refused by the supervisor, which
    keeps serving with the workers it has instead of starting ones that exit 78 in a loop."""
    env_file = tmp_path / "presignd.env"
    env_file.write_text("PRESIGND_UPLOAD_EXPIRES=600\n")
    env = with_changes(valid_env, {"PRESIGND_ENV_FILE": str(env_file), "PRESIGND_LISTEN": str(tmp_path / "reload.sock")})
    log = open(tmp_path / "serve.log", "w+")
    process = subprocess.Popen([binary(), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while "serving FastCGI" not in open(log.name).read() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        env_file.write_text("PRESIGND_UPLOAD_EXPIRES=999999999\n")
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "reload refused" not in open(log.name).read() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)
        text = open(log.name).read()
        assert "reload refused, the running workers stay: PRESIGND_UPLOAD_EXPIRES" in text, text
        assert process.poll() is None, text
        assert "exited with status 78" not in text, text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
