"""`python -m examples.queue_ingestion`: seed the inbox and serve the example."""

from examples.queue_ingestion.main import main

main()
