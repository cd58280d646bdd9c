"""The service layer: what the CLI, the admin UI and RPC all call."""
