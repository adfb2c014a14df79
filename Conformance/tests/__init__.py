"""Unit tests of the conformance server's judge and case selection: `make conformance-unit`."""
