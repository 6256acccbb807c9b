"""Unit tests of sandbox.sa."""
