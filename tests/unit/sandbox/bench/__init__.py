"""Unit tests of sandbox.bench."""
