"""A job's graph laid out in layers for the job page's SVG, drawn by the server.

Each op goes in the column of its depth (`JobSnapshot.layers`: roots first, each op one
column after its deepest input). Within a column, ops are ordered by the mean row of the
ops they read from (the barycenter heuristic, one pass left to right), which keeps most
edges short and uncrossed; ties keep the job's order. Edges are cubic curves from a
node's right side to its reader's left side.
"""

from __future__ import annotations

from attrs import frozen

from daggo_core.definitions.snapshot import JobSnapshot

__all__ = ["GraphLayout", "LaidEdge", "LaidNode", "lay_out"]

NODE_HEIGHT = 34
ROW_GAP = 18
COLUMN_GAP = 70
MARGIN = 16
_CHAR_WIDTH = 7.2  # of the node font, on average
_MIN_WIDTH, _MAX_WIDTH = 90, 240


@frozen
class LaidNode:
    name: str
    x: float
    y: float
    width: float
    input_type: str
    output_type: str
    description: str
    height: float = NODE_HEIGHT

    @property
    def label(self) -> str:
        """The name, shortened to fit the node."""
        # 1e-6: (16 + 7.2 * 16 - 16) / 7.2 is 15.99..., and a name that fits must show whole
        room = int((self.width - 16) / _CHAR_WIDTH + 1e-6)
        return self.name if len(self.name) <= room else self.name[:room - 1] + "…"


@frozen
class LaidEdge:
    source: str
    target: str
    field: str
    path: str  # the SVG path's `d`


@frozen
class GraphLayout:
    nodes: tuple[LaidNode, ...]
    edges: tuple[LaidEdge, ...]
    width: float
    height: float


def lay_out(snapshot: JobSnapshot) -> GraphLayout:
    """Positions of every op and edge of `snapshot`, in SVG units."""
    ops = {op.name: op for op in snapshot.ops}
    row: dict[str, float] = {}
    columns: list[list[str]] = []
    for layer in snapshot.layers():
        # (the mean row of its inputs, its place in the job's order): one pass suffices
        keys = {name: (_mean([row[u] for u in ops[name].upstream if u in row], index), index)
                for index, name in enumerate(layer)}
        column = sorted(layer, key=keys.__getitem__)
        for index, name in enumerate(column):
            row[name] = float(index)
        columns.append(column)
    tallest = max((len(c) for c in columns), default=0)
    nodes: dict[str, LaidNode] = {}
    x = float(MARGIN)
    for column in columns:
        width = max(min(_MAX_WIDTH, 16 + _CHAR_WIDTH * len(name)) for name in column)
        width = max(width, _MIN_WIDTH)
        offset = (tallest - len(column)) * (NODE_HEIGHT + ROW_GAP) / 2
        for index, name in enumerate(column):
            op = ops[name]
            nodes[name] = LaidNode(
                name=name, x=x, y=MARGIN + offset + index * (NODE_HEIGHT + ROW_GAP),
                width=width, input_type=op.input_type, output_type=op.output_type,
                description=op.description)
        x += width + COLUMN_GAP
    edges = tuple(_edge(nodes[e.source], nodes[e.target], e.field)
                  for e in snapshot.edges() if e.source in nodes and e.target in nodes)
    width = x - COLUMN_GAP + MARGIN if columns else 2 * MARGIN
    height = 2 * MARGIN + max(0, tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP)
    return GraphLayout(nodes=tuple(nodes.values()), edges=edges, width=width, height=height)


def _mean(values: list[float], otherwise: int) -> float:
    return sum(values) / len(values) if values else float(otherwise)


def _edge(source: LaidNode, target: LaidNode, field: str) -> LaidEdge:
    x1, y1 = source.x + source.width, source.y + NODE_HEIGHT / 2
    x2, y2 = target.x, target.y + NODE_HEIGHT / 2
    bend = max(20.0, (x2 - x1) / 2)
    path = (f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} "
            f"{x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}")
    return LaidEdge(source=source.name, target=target.name, field=field, path=path)
