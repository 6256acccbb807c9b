"""Unit tests of consumers.web."""
