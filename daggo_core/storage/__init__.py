"""Storage: records, the Storage protocol and its SQLAlchemy Core implementation."""
