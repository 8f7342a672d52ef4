"""`presignd bucket-setup` against ministack (AUTH=true, IAM-user key): what a dry run
reports, what a run sets, that a second run changes nothing, that the bucket's other rules
survive, and that the CORS rule it sets is the one a browser's preflight is judged by."""
import uuid

import pytest

from harness.common import SETUP_ORIGIN as ORIGIN
from harness.common import bucket_setup_env as setup_env
from harness.common import preflight
from harness.common import run_bucket_setup as bucket_setup


@pytest.fixture
def bucket(ministack):
    name = "setup-" + uuid.uuid4().hex[:10]
    ministack.client().create_bucket(Bucket=name)
    return name


def test_dry_run_changes_nothing_then_run_sets_everything_once(ministack, bucket):
    s3 = ministack.client()
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "keep-logs-30-days", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}}]})
    env = setup_env(ministack, bucket)

    code, out, err = bucket_setup(env, "--dry-run")
    assert code == 0, err
    assert "cors: would set (no CORS rule" in out
    assert "lifecycle: would set" in out
    # New buckets block public access by default (AWS since 2023, ministack too): nothing to do.
    assert "public access block: unchanged" in out
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_cors(Bucket=bucket)
    assert preflight(ministack, bucket, ORIGIN).status_code == 403

    code, out, err = bucket_setup(env)
    assert code == 0, err
    assert "cors: set" in out and "lifecycle: set" in out
    rules = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert len(rules) == 1
    assert sorted(rules[0]["AllowedOrigins"]) == sorted([ORIGIN, "https://app.example.com"])
    assert sorted(rules[0]["AllowedMethods"]) == ["GET", "HEAD", "POST", "PUT"]
    assert rules[0]["ExposeHeaders"] == ["ETag", "Location"] and rules[0]["AllowedHeaders"] == ["*"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block[k] for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"))
    lifecycle = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert lifecycle["presignd-abort-incomplete-multipart"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    assert lifecycle["keep-logs-30-days"]["Expiration"]["Days"] == 30, "the bucket's own rule is kept"

    allowed = preflight(ministack, bucket, ORIGIN)
    assert allowed.status_code == 200 and allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "ETag" in allowed.headers.get("Access-Control-Expose-Headers", "")
    assert preflight(ministack, bucket, "https://evil.example").status_code == 403, "another origin is refused by the preflight"

    code, out, err = bucket_setup(env)
    assert code == 0, err
    assert out.splitlines()[1:] == ["cors: unchanged", "public access block: unchanged", "lifecycle: unchanged"]


def test_public_access_is_blocked_again_when_opened(ministack, bucket):
    s3 = ministack.client()
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    code, out, _ = bucket_setup(setup_env(ministack, bucket))
    assert code == 0 and "public access block: set (public access is not fully blocked)" in out
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_origin_change_updates_the_rule(ministack, bucket):
    assert bucket_setup(setup_env(ministack, bucket))[0] == 0
    env = setup_env(ministack, bucket, PRESIGND_CORS_ORIGINS="https://new.example.com")
    code, out, _ = bucket_setup(env)
    assert code == 0 and "cors: set (presignd's CORS rule is missing or differs)" in out
    assert ministack.client().get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedOrigins"] == ["https://new.example.com"]


def test_profile_without_a_feature_warns_and_bad_origins_are_refused(ministack, bucket):
    code, out, _ = bucket_setup(setup_env(ministack, bucket, PRESIGND_STORE_PROFILE="r2"))
    assert code == 0
    assert "public access block: warning: the r2 profile has no public access block" in out
    code, _, err = bucket_setup(setup_env(ministack, bucket, PRESIGND_CORS_ORIGINS="https://app.example.com/path"))
    assert code == 78 and "PRESIGND_CORS_ORIGINS" in err and "scheme://host[:port]" in err
    code, out, _ = bucket_setup(setup_env(ministack, bucket, PRESIGND_CORS_ORIGINS=""))
    assert code == 0 and "cors: warning: PRESIGND_CORS_ORIGINS is empty" in out
