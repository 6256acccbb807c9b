"""Unit tests of sync_core.execute."""
