"""Shared pytest fixtures for presignd's integration tests; the logic lives in harness/."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from harness import ministack as _ministack  # noqa: E402


@pytest.fixture(scope="session")
def ministack():
    """A strict S3 server (ministack, AUTH=true) with an IAM user's key and a bucket."""
    stack = _ministack.start()
    yield stack
    stack.stop()
