"""The queue ingestion example: customer import envelopes dropped into a local inbox are
loaded by a poll loader into the "customer_imports" queue, and each one starts an import
run and an audit run. `python -m examples.queue_ingestion` (or `make run-queue-example`)
serves it on http://127.0.0.1:8000/."""
