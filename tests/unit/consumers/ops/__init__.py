"""Unit tests of consumers.ops."""
