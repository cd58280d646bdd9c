"""Shared clients of the example: the inbox the loader reads, the batch store, the
warehouse and the audit log."""
