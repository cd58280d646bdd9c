"""The cron scheduler: tick computation, tick policies and the scheduler loop."""
