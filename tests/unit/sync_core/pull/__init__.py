"""Unit tests of sync_core.pull."""
