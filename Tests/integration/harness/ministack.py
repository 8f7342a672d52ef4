"""Start a strict ministack S3/IAM server for a test session and give back an IAM user's key.

ministack (pinned 1.5.33) with AUTH=true verifies SigV4 signatures only for keys of IAM users,
so this creates a user with an s3:* policy and an access key through the IAM API (as the root
key test/test), and a bucket owned by that user. Everything runs on a free 127.0.0.1 port in
temporary directories; stop() kills exactly the process it started.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import requests

from harness.s3peer import S3Peer

ROOT_KEY = ("test", "test")
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ministack_command() -> list[str]:
    """The ministack executable next to this Python (the venv's), else on PATH."""
    candidate = os.path.join(os.path.dirname(sys.executable), "ministack")
    return [candidate] if os.path.exists(candidate) else ["ministack"]


@dataclasses.dataclass
class Ministack(S3Peer):
    process: subprocess.Popen
    workdir: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start(timeout: float = 60.0) -> Ministack:
    """Start ministack, wait for health, create an IAM user + key + bucket; caller must stop()."""
    workdir = tempfile.mkdtemp(prefix="presignd-ministack-")
    port = free_port()
    dirs = {name: os.path.join(workdir, name) for name in ("s3", "state", "tmp")}
    for path in dirs.values():
        os.makedirs(path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        BIND_HOST="127.0.0.1", GATEWAY_PORT=str(port), AUTH="true", SERVICES="s3,iam",
        S3_DATA_DIR=dirs["s3"], STATE_DIR=dirs["state"], TMPDIR=dirs["tmp"],
        AWS_ACCESS_KEY_ID=ROOT_KEY[0], AWS_SECRET_ACCESS_KEY=ROOT_KEY[1],
    )
    log = open(os.path.join(workdir, "ministack.log"), "wb")
    process = subprocess.Popen(_ministack_command(), env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    stack = Ministack(endpoint, port, "", "", "", REGION, process, workdir)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ministack exited early; see {log.name}:\n" + open(log.name).read()[-2000:])
            try:
                if requests.get(endpoint + "/_ministack/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("ministack did not become healthy in time")
            time.sleep(0.2)

        iam = stack.client("iam", *ROOT_KEY)
        user = "presignd-" + uuid.uuid4().hex[:8]
        iam.create_user(UserName=user)
        iam.put_user_policy(
            UserName=user, PolicyName="s3-all",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        )
        key = iam.create_access_key(UserName=user)["AccessKey"]
        stack.access_key, stack.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
        stack.bucket = "presignd-" + uuid.uuid4().hex[:10]
        stack.client().create_bucket(Bucket=stack.bucket)
        return stack
    except BaseException:
        stack.stop()
        raise
