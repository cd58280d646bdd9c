"""`daggo sdk python|typescript --out DIR`: a client of the RPC API, generated from the
OpenAPI description this daggo serves (built in-process: no server needed)."""

from __future__ import annotations

from pathlib import Path

import click

from daggo_core.sdk import current_spec

__all__ = ["sdk"]

_OUT = click.option("--out", "out", required=True,
                    type=click.Path(file_okay=False, path_type=Path),
                    help="Directory to write the client into (new, empty, or a client "
                         "generated there before, which is replaced).")


@click.group("sdk")
def sdk() -> None:
    """Generate a client of the RPC API."""


@sdk.command("python")
@_OUT
def python(out: Path) -> None:
    """A Python package `daggo_client`, by openapi-python-client (install it first)."""
    from daggo_core.sdk.python import generate_python

    generate_python(current_spec(), out)
    click.echo(f"Python client written to {out}")


@sdk.command("typescript")
@_OUT
def typescript(out: Path) -> None:
    """A TypeScript package `daggo-client`: message types and a fetch client."""
    from daggo_core.sdk.typescript import generate_typescript

    generate_typescript(current_spec(), out)
    click.echo(f"TypeScript client written to {out}")
