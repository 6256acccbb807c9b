"""Unit tests of sync_core.serde."""
