"""Every statement presignd sends PostgreSQL, read back from the server's own log: the cluster
logs each statement with its bind parameters (`log_statement = all`, JSON log in the data
directory), the test marks where its requests start and end with a `SELECT '<mark>'` of its own,
and what presignd (application_name "presignd") sent in between is returned as (text, parameter
literals). test_query_plans.py replays each statement's plan; test_distribution_keys.py finds
each statement's distribution key.

A cluster made with `PostgresCluster(settings={**LOG_SETTINGS, ...})` logs this way."""
import json
import pathlib
import re
import time

LOG_DIRECTORY = "statement-log"
LOG_SETTINGS = {
    "logging_collector": "on", "log_destination": "jsonlog", "log_directory": LOG_DIRECTORY,
    "log_filename": "postgres.log", "log_rotation_age": "0", "log_rotation_size": "0",
    "log_statement": "all", "log_parameter_max_length": "-1",
}

# A statement as the log names it: "execute <name>: <text>" (prepared), "statement: <text>" (simple).
EXECUTED = re.compile(r"(?:execute [^:]*|statement): (.*)", re.S)
PARAMETER = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')", re.S)


def mark(postgres, text):
    """A mark in the log: the test's own `SELECT '<text>'`."""
    postgres.psql(f"SELECT '{text}'")


def log_entries(postgres):
    directory = pathlib.Path(postgres.data) / LOG_DIRECTORY
    entries = []
    for path in sorted(directory.glob("*.json")):
        entries += [json.loads(line) for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return entries


def statements_between_marks(postgres, start_mark, end_mark, application="presignd"):
    """[(text, (parameter literals…))] of every statement `application` sent between the first
    `start_mark` and `end_mark` (which this writes, then waits for it to reach the log)."""
    mark(postgres, end_mark)
    deadline = time.monotonic() + 15
    while True:
        entries = log_entries(postgres)
        marks = [i for i, e in enumerate(entries) if e.get("message", "").endswith(f"SELECT '{end_mark}'")]
        if marks:
            break
        assert time.monotonic() < deadline, "the end mark never reached the PostgreSQL log"
        time.sleep(0.1)
    starts = [i for i, e in enumerate(entries) if e.get("message", "").endswith(f"SELECT '{start_mark}'")]
    assert starts, "the start mark is not in the PostgreSQL log"
    sent = []
    for entry in entries[starts[0] + 1:marks[0]]:
        match = EXECUTED.fullmatch(entry.get("message", ""))
        if entry.get("application_name") != application or entry.get("error_severity") != "LOG" or not match:
            continue
        detail = entry.get("detail", "")
        numbered = sorted((int(n), value) for n, value in PARAMETER.findall(detail)) if detail.startswith("parameters: ") else []
        assert [n for n, _ in numbered] == list(range(1, len(numbered) + 1)), detail
        sent.append((match.group(1), tuple(value for _, value in numbered)))
    return sent
