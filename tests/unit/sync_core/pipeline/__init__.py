"""Unit tests of sync_core.pipeline."""
