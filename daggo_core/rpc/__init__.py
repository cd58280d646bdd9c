"""The RPC API: every service method over HTTP as `POST /rpc/<Service>.<Method>`."""
