"""What every S3 server the tests run answers to (ministack, Ceph RGW): its address, the key the
tests sign with, its bucket, a boto3 client and the environment of a process that signs as that
key. harness/ministack.py and harness/ceph_rgw.py start one each."""
from __future__ import annotations

import dataclasses
import os

import boto3
from botocore.config import Config


@dataclasses.dataclass
class S3Peer:
    endpoint: str
    port: int
    access_key: str
    secret_key: str
    bucket: str
    region: str

    def client(self, service: str = "s3", access_key: str | None = None, secret_key: str | None = None):
        """A boto3 client signed with the peer's key (or the one given), path-style."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def env(self) -> dict[str, str]:
        """Environment for a process that should sign as the peer's key."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=self.access_key, AWS_SECRET_ACCESS_KEY=self.secret_key, AWS_REGION=self.region)
        return env
