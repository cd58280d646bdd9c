"""Built-in plugin: the admin's Plugins page."""

from __future__ import annotations

from markupsafe import escape

from daggo_core.extensions import PanelContext, UIPanel
from daggo_core.hookspecs import hookimpl


def _render_plugins(ctx: PanelContext) -> str:
    report = ctx.services.plugins.get_many()
    rows = "".join(
        f"<tr><td>{escape(p.name)}</td><td>{escape(p.distribution)}</td>"
        f"<td>{escape(p.version)}</td><td>{escape(', '.join(p.hooks))}</td></tr>"
        for p in report.plugins
    )
    failed = "".join(
        f"<tr><td>{escape(f.name)}</td><td>{escape(f.distribution)}</td>"
        f"<td class='bad'>{escape(f.error)}</td></tr>"
        for f in report.failures
    )
    html = ("<table><thead><tr><th>Plugin</th><th>Distribution</th><th>Version</th>"
            f"<th>Hooks</th></tr></thead><tbody>{rows}</tbody></table>")
    if failed:
        html += ("<h2>Failed to load</h2><table><thead><tr><th>Plugin</th><th>Distribution"
                 f"</th><th>Error</th></tr></thead><tbody>{failed}</tbody></table>")
    return html


@hookimpl
def daggo_ui_panels() -> list[UIPanel]:
    return [UIPanel(name="plugins", title="Plugins", path="/plugins", render=_render_plugins)]
