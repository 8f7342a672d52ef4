"""Helpers that start real servers for the integration tests (loopback only, temp dirs)."""
