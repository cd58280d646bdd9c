"""Run-history retention: the purge policy and the purger that applies it."""
