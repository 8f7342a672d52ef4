"""The OpenAPI document against the running product: real nginx -> presignd (FastCGI) -> real
PostgreSQL and a strict S3 server (ministack), configured as test_flows.py configures them.

`GET /api/openapi.json` must serve a valid OpenAPI 3.1 document, and schemathesis, driven by
that document, must get only documented answers: no server error, every status code, content
type, header and body as described. It runs every phase (the document's examples, coverage
of each constraint's edges, random fuzzing, and stateful sequences that follow the document's
links from a created upload to its parts, completion and abort) with a bounded number of
examples per operation, once for the module; each operation is then a test of its own.
"""
import json
import os
import pathlib
import subprocess
import sys
import time

import pytest
import requests
from openapi_spec_validator import validate as validate_spec

from harness.common import make_token

# Per operation and phase; the coverage phase adds its own deterministic cases on top. The
# whole run is about 2,300 requests in 35 s on two cores (the test allows 180 s).
MAX_EXAMPLES = 60
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])

# Every operation the document describes but the document itself, which schemathesis leaves
# out of its run because it is the schema it loaded (test_document_is_served… covers it). A
# test holds the served document to this list, so an operation added to the document is
# tested here too (or that test fails).
SCHEMA_OPERATION = "GET /api/openapi.json"
OPERATIONS = [
    "GET /healthz",
    "GET /readyz",
    "POST /api/uploads/presign",
    "POST /api/uploads/confirm",
    "POST /api/uploads/multipart",
    "POST /api/uploads/{id}/parts",
    "GET /api/uploads/{id}/parts",
    "POST /api/uploads/{id}/resume",
    "POST /api/uploads/{id}/complete",
    "DELETE /api/uploads/{id}",
    "GET /api/usage",
    "GET /api/uppy/s3/params",
    "POST /api/uppy/s3/multipart",
    "GET /api/uppy/s3/multipart/{uploadId}/batch",
    "GET /api/uppy/s3/multipart/{uploadId}/{partNumber}",
    "GET /api/uppy/s3/multipart/{uploadId}",
    "POST /api/uppy/s3/multipart/{uploadId}/complete",
    "DELETE /api/uppy/s3/multipart/{uploadId}",
    "GET /api/documents",
    "GET /api/documents/{id}/download",
    "POST /api/documents/{id}/shares",
    "DELETE /api/documents/{id}/shares/{userId}",
    "DELETE /api/documents/{id}",
    "POST /api/auth/cdn-cookies",
    "POST /api/auth/logout",
    "POST /api/admin/revocations",
    "GET /media/{key}",
]


@pytest.fixture(scope="module")
def base_url(api):
    """conftest.py's flows stack: presignd (2 workers x 4 threads on a unix socket) behind a real
    nginx, on flows_env, whose CDN is configured so the cookie routes exist and are tested too."""
    return api.base


def fetch_document(base_url):
    r = requests.get(base_url + "/api/openapi.json", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    return r.json()


def operations(document):
    return [f"{method.upper()} {path}" for path, item in document["paths"].items()
            for method in item if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace")]


def test_document_is_served_without_a_token_and_validates(base_url):
    document = fetch_document(base_url)
    assert document["openapi"].startswith("3.1")
    validate_spec(document)  # raises naming the first problem
    assert SCHEMA_OPERATION in operations(document)
    # A document that served nothing would pass everything below; it must describe the API.
    assert len(operations(document)) >= 20
    # HEAD is answered by the GET route, without a body.
    head = requests.head(base_url + "/api/openapi.json", timeout=10)
    assert head.status_code == 200 and head.content == b""


@pytest.fixture(scope="module")
def schemathesis_run(base_url, tmp_path_factory):
    """One schemathesis run over every operation; returns its NDJSON events, its output, and
    how long it took."""
    reports = tmp_path_factory.mktemp("schemathesis")
    events_path = reports / "events.ndjson"
    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", base_url + "/api/openapi.json",
        "--header", f"Authorization: Bearer {make_token(lifetime=1800)}",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(MAX_EXAMPLES),
        "--seed", "20261201",
        "--workers", "1",  # one at a time: a replayed case sees the state its first run saw
        "--request-timeout", "20",
        "--suppress-health-check", "all",
        "--continue-on-failure",
        "--report", "ndjson", "--report-ndjson-path", str(events_path),
    ]
    started = time.monotonic()
    out = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=reports,
                         env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""})
    elapsed = time.monotonic() - started
    events = [json.loads(line) for line in events_path.read_text().splitlines() if line.strip()]
    return {"events": events, "output": out.stdout + out.stderr, "returncode": out.returncode, "seconds": elapsed}


def test_document_lists_exactly_the_tested_operations(base_url):
    assert sorted(operations(fetch_document(base_url))) == sorted(OPERATIONS + [SCHEMA_OPERATION])


def interactions(run):
    """(operation label, phase, case, response, checks) for every request schemathesis sent.
    Requests with a method the document does not list for a path (the coverage phase sends
    them to check for 405) are labelled with that method."""
    for event in run["events"]:
        scenario = event.get("ScenarioFinished")
        if not scenario:
            continue
        recorder = scenario["recorder"]
        for case_id, interaction in (recorder.get("interactions") or {}).items():
            case = recorder["cases"][case_id]["value"]
            yield (f"{case['method']} {case['path']}", scenario["phase"], case, interaction.get("response"),
                   recorder.get("checks", {}).get(case_id, []))


def describe(case, response, check):
    failure = (check.get("failure_info") or {}).get("failure", {})
    body = ""
    if response and response.get("content"):
        import base64
        body = base64.b64decode(response["content"].get("$base64", "")).decode("utf-8", "replace")[:300]
    return (f"{check['name']}: {failure.get('title', '')} {failure.get('message', '')}\n"
            f"    request: {case['method']} {case['path']} path={case.get('path_parameters')} "
            f"query={case.get('query')} body={str(case.get('body'))[:200]}\n"
            f"    response: {response and response['status_code']} {body}")


def test_schemathesis_ran_within_its_budget(schemathesis_run):
    run = schemathesis_run
    if os.environ.get("OPENAPI_EVENTS_DUMP"):
        pathlib.Path(os.environ["OPENAPI_EVENTS_DUMP"]).write_text(json.dumps(run["events"]))
    assert any("LoadingFinished" in e for e in run["events"]), run["output"][-3000:]
    tested = {label for label, *_ in interactions(run)}
    assert set(OPERATIONS) <= tested, f"never tested: {sorted(set(OPERATIONS) - tested)}"
    errors = [e for e in run["events"] if "NonFatalError" in e or "FatalError" in e]
    # The whole event (its traceback and the request), so a failure in CI can be diagnosed.
    assert not errors, json.dumps(errors[:3], indent=1)[:3000] + "\n" + run["output"][-6000:]
    assert run["seconds"] < 180, f"schemathesis took {run['seconds']:.0f} s"
    print(f"\nschemathesis: {sum(1 for _ in interactions(run))} requests in {run['seconds']:.1f} s")


def test_undocumented_methods_get_405_with_allow(schemathesis_run):
    # nginx refuses TRACE itself (405, its own page, no Allow) before presignd sees it.
    answers = [(label, response["status_code"], response["headers"].get("allow"))
               for label, phase, case, response, checks in interactions(schemathesis_run)
               if label not in OPERATIONS and response is not None and case["method"] != "TRACE"]
    assert answers, "schemathesis sent no request with an undocumented method"
    # The coverage phase's "unsupported method" requests; a path no route has is 404.
    # A path that matches another route's pattern (`DELETE /api/uploads/confirm` is
    # `DELETE /api/uploads/{id}`) is that route's 404.
    # OPTIONS, where the server answers it (CORS preflight), is a 204 listing the methods.
    wrong = [a for a in answers if not (a[1] == 405 and a[2]) and a[1] != 404
             and not (a[0].startswith("OPTIONS ") and a[1] in (200, 204) and a[2])]
    assert not wrong, wrong[:10]
    failures = [describe(case, response, check) for label, phase, case, response, checks in interactions(schemathesis_run)
                if label not in OPERATIONS for check in checks if check["status"] != "success"]
    assert not failures, "\n".join(failures[:5])


@pytest.mark.parametrize("operation", OPERATIONS)
def test_operation_conforms_to_the_document(schemathesis_run, operation):
    """No server error, and every status, content type, header and body as documented."""
    seen = [(phase, case, response, checks) for label, phase, case, response, checks in interactions(schemathesis_run)
            if label == operation]
    assert seen, f"schemathesis sent no request to {operation}"
    assert all(response is not None for _, _, response, _ in seen), "a request got no response"
    failures = [describe(case, response, check) for _, case, response, checks in seen
                for check in checks if check["status"] != "success"]
    assert not failures, f"{len(failures)} failed checks on {operation}:\n" + "\n".join(failures[:5])
