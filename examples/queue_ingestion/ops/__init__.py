"""Concrete operational code: the queue's payload and the ops of its jobs."""
