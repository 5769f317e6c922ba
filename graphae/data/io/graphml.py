"""GraphML and GEXF files, checked with defusedxml before networkx reads them."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from graphae.data.io.edges import _Edges
from graphae.data.io.files import _check_file
from graphae.data.io.nxgraph import _edges_from_networkx
from graphae.data.io.where import _Where
from graphae.errors import InputError


def _safe_xml_check(path: Path, where: str, fmt: str) -> None:
    """Parse with defusedxml first: entity/DTD tricks are refused before any expansion."""
    import xml.etree.ElementTree as ET

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        DET.parse(str(path))
    except DefusedXmlException as e:
        raise InputError(
            f"refused: the {fmt} file declares XML entities or external references "
            f"({type(e).__name__}), which graphae never expands (billion-laughs protection); "
            "remove the <!DOCTYPE>/<!ENTITY> declarations",
            where,
        ) from None
    except ET.ParseError as e:
        raise InputError(
            f"not well-formed XML ({e}); is this really a {fmt} file?", where, e.position[0]
        ) from None


def _read_xml_graph(path: Path, *, directed: bool, weighted: bool | str) -> _Edges:
    fmt = "GraphML" if path.suffix.lower() == ".graphml" else "GEXF"
    where = _check_file(path, f"{fmt} file")
    _safe_xml_check(path, where, fmt)
    try:
        g = nx.read_graphml(path, node_type=str) if fmt == "GraphML" else nx.read_gexf(path)
    except (nx.NetworkXError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"could not read as {fmt} ({e})", where) from None
    edges = _edges_from_networkx(
        g, directed=directed, weighted=weighted, where=_Where(where), name=path.stem
    )
    edges.meta["format"] = fmt.lower()
    return edges
