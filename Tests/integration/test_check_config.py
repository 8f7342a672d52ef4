"""`presignd check-config` through the release binary: effective values, secrets masked,
errors that name the variable."""
import os
import subprocess

from harness.presignd import binary

SECRET = "hs256-secret-that-must-never-be-printed-0123456789"
AWS_SECRET = "aws-secret-key-that-must-never-be-printed"


def run(env, *args):
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    clean.update(env)
    return subprocess.run([binary(), "check-config", *args], env=clean, capture_output=True, text=True, timeout=30)


def valid_env(tmp_path, **changes):
    """A valid configuration (the HS256 secret in a file under tmp_path), `changes` on top."""
    secret_file = tmp_path / "jwt-secret"
    secret_file.write_text(SECRET + "\n")
    return {
        "PRESIGND_JWT_HS256_SECRET_FILE": str(secret_file),
        "PRESIGND_BUCKET": "uploads",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE12345678",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000",
        "DATABASE_URL": "postgres://app:dbpassword123@127.0.0.1:5432/presignd",
        "PRESIGND_WORKERS": "3",
        **changes,
    }


def test_valid_configuration_prints_masked_values(tmp_path):
    result = run(valid_env(tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "PRESIGND_WORKERS = 3" in out
    assert "PRESIGND_BUCKET = uploads" in out
    assert "PRESIGND_S3_ADDRESSING = path" in out
    assert "postgres://app:******@127.0.0.1:5432/presignd" in out
    assert "configuration OK" in out
    for secret in (SECRET, AWS_SECRET, "dbpassword123", "AKIDEXAMPLE12345678"):
        assert secret not in out and secret not in result.stderr


def test_each_bad_variable_is_named(tmp_path):
    result = run(valid_env(tmp_path, PRESIGND_WORKERS="many", PRESIGND_S3_ADDRESSING="sideways",
                           PRESIGND_UPLOAD_EXPIRES="999999999"))
    assert result.returncode == 78
    assert 'PRESIGND_WORKERS: expected a whole number, got "many"' in result.stderr
    assert "PRESIGND_S3_ADDRESSING" in result.stderr and "sideways" in result.stderr
    assert "PRESIGND_UPLOAD_EXPIRES" in result.stderr


def test_missing_secret_file_is_named(tmp_path):
    result = run(valid_env(tmp_path, PRESIGND_JWT_HS256_SECRET_FILE=str(tmp_path / "nope")))
    assert result.returncode == 78
    assert "PRESIGND_JWT_HS256_SECRET_FILE: cannot read the file" in result.stderr


def test_env_file_overrides_the_process_environment(tmp_path):
    env_file = tmp_path / "presignd.env"
    env_file.write_text("# reloaded on SIGHUP\nPRESIGND_WORKERS=5\nPRESIGND_BUCKET=from-file\n")
    result = run(valid_env(tmp_path, PRESIGND_ENV_FILE=str(env_file)))
    assert result.returncode == 0, result.stderr
    assert "PRESIGND_WORKERS = 5" in result.stdout
    assert "PRESIGND_BUCKET = from-file" in result.stdout
    result = run(valid_env(tmp_path, PRESIGND_ENV_FILE=str(tmp_path / "missing.env")))
    assert result.returncode == 78
    assert "PRESIGND_ENV_FILE" in result.stderr


def test_regression_invalid_bucket_is_named_at_start_up(tmp_path):
    # Before: accepted, then every presign answered 400 invalid_bucket as if the client were wrong.
    result = run(valid_env(tmp_path, PRESIGND_BUCKET="Uploads_Bucket"))
    assert result.returncode == 78
    assert "PRESIGND_BUCKET: a bucket name may hold only lower-case letters" in result.stderr
