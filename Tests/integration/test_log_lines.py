"""Issue 19: with PRESIGND_LOG_FORMAT=json every line presignd writes is one JSON object, the
lines PostgreSQL sends on its own included. libpq's default notice processor wrote them to stderr
as plain text (`WARNING: terminating connection due to immediate shutdown command` when
PostgreSQL stops under an idle pooled connection); they now reach presignd's logger."""
import json
import time

import pytest
import requests

from harness.common import PURPOSES, make_token
from harness.stack import migrate, stack_env

SECRET = "log-lines-secret-0123456789abcdef0123456789ab"


@pytest.fixture(scope="module")
def stack(postgres, ministack, module_stack):
    env = stack_env(postgres, ministack, PURPOSES, SECRET, PRESIGND_LOG_FORMAT="json")
    migrate(env)
    # One worker with one thread: the request after the restart reuses the connection that heard the notice.
    return module_stack("log-lines", env, workers=1, threads=1)


def test_every_line_is_json_when_postgresql_restarts_under_the_pool(stack, postgres):
    server, proxy = stack
    headers = {"Authorization": f"Bearer {make_token('alice', secret=SECRET)}"}
    usage = proxy.url + "/api/usage"
    assert requests.get(usage, headers=headers, timeout=10).status_code == 200  # a pooled connection, now idle
    postgres.stop("immediate")
    postgres.start()
    deadline = time.monotonic() + 20
    answers = []
    while time.monotonic() < deadline:
        answers.append(requests.get(usage, headers=headers, timeout=10).status_code)
        if answers[-1] == 200:
            break
        time.sleep(0.2)
    assert answers[-1] == 200, answers
    assert set(answers) <= {200, 503}, answers
    lines = [line for line in server.log().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # raises on a line that is not one JSON object
    notices = [item for item in parsed if item["event"].startswith("database ")
               and "terminating connection" in item["event"]]
    assert notices, lines[-20:]
    assert notices[0]["level"] == "warning"
