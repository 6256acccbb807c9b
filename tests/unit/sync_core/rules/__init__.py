"""Unit tests of sync_core.rules."""
