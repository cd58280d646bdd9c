"""The queue runtime: ingestion of items into storage, loaders, item retries and replay."""
