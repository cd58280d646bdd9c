"""Test helpers for daggo and its plugins, e.g. the storage contract suite (needs pytest)."""
