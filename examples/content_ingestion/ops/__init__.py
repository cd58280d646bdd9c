"""Concrete operational code: the ops of the example's jobs."""
