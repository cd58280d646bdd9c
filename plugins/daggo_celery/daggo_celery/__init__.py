"""daggo's Celery executor: `execution.executor = "celery"` sends each claimed run to a
Celery queue; `daggo worker celery -m APP --queues a,b` executes them."""

from daggo_celery.config import CeleryConfig

__all__ = ["CeleryConfig"]
