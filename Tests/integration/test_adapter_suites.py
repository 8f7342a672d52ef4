"""Runs the Swift adapter suites that need real peers (PostgresDocumentStoreTests against a
throwaway PostgreSQL cluster, S3ObjectStoreTests against ministack) with those peers started
here, so they run in every CI build instead of skipping."""
import os
import re
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def swift_test(suite, env):
    result = subprocess.run(["swift", "test", "--filter", suite], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "skipped" not in output.lower(), output[-4000:]
    executed = [int(n) for n in re.findall(r"Executed (\d+) tests?, with 0 failures", output)]
    assert executed and max(executed) > 0, output[-4000:]
    return max(executed)


def test_postgres_store_suite_against_a_real_server(postgres):
    env = dict(os.environ, PRESIGND_TEST_DATABASE_URL=postgres.url)
    assert swift_test("PostgresDocumentStoreTests", env) >= 3


def test_s3_object_store_suite_against_ministack(ministack):
    env = ministack.env()
    env.update(PRESIGND_TEST_S3_ENDPOINT=ministack.endpoint, PRESIGND_TEST_S3_BUCKET=ministack.bucket)
    assert swift_test("S3ObjectStoreTests", env) >= 2
