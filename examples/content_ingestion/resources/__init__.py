"""Shared clients of the example: the page fetcher, the local site and the search index."""
