"""Job definitions: graph composition only."""
