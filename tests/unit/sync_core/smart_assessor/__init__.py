"""Unit tests of sync_core.smart_assessor."""
