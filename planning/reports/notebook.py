"""What a report notebook calls while it runs: figures embedded offline (:func:`show`,
:func:`figure_html`) and the headline figures it emits for the index page (:func:`emit_headline`,
read back by :func:`read_headline`).

Offline HTML: plotly.js goes inline once per file (the first figure), never from a CDN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: Mimetype of the headline figures a report notebook emits (read back by :func:`read_headline`).
HEADLINE_MIME = "application/vnd.vaernes.headline+json"


# ----------------------------------------------------------------------------------------------
# figures inside a notebook
# ----------------------------------------------------------------------------------------------
_PLOTLYJS_EMBEDDED = False
_PLOT_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def figure_html(fig: Any, include_plotlyjs: bool, div_id: str | None = None) -> str:
    """A plotly figure as an HTML fragment that needs no network: plotly.js inline when
    ``include_plotlyjs`` (once per page), never from a CDN."""
    return fig.to_html(
        full_html=False,
        include_plotlyjs=bool(include_plotlyjs),
        config=_PLOT_CONFIG,
        div_id=div_id,
        validate=True,
    )


def show(fig: Any) -> None:
    """Display ``fig`` in a notebook as offline HTML; the first call in a kernel embeds plotly.js."""
    global _PLOTLYJS_EMBEDDED
    from IPython.display import HTML, display

    display(HTML(figure_html(fig, include_plotlyjs=not _PLOTLYJS_EMBEDDED)))
    _PLOTLYJS_EMBEDDED = True


def emit_headline(headline: Mapping[str, Any], **extra: Any) -> None:
    """Display the headline figures as a machine-readable output (the report cell tagged
    ``headline``); :func:`read_headline` reads them back from the executed notebook."""
    from IPython.display import display

    payload = json.loads(json.dumps({**dict(headline), **extra}, default=_json_default))
    display({HEADLINE_MIME: payload, "text/plain": "headline figures"}, raw=True)


def region_of_scenario(scn: Any) -> dict[str, Any]:
    """Headline fields that place a report in a region on the index page: ``region`` (the key
    of data/regions.json, or None for another list of municipalities), ``region_label`` (its
    name, or the municipalities' names) and ``municipalities`` (codes)."""
    from planning import data

    codes = list(scn.municipality_codes())
    key = scn.region if scn.region is not None else data.region_of(codes)
    if key is not None:
        label = data.region_label(key)
    else:
        names = data.municipality_names()
        label = ", ".join(names.get(c, c).split(" - ")[0] for c in codes)
    return {"region": key, "region_label": label, "municipalities": codes}


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, (set, tuple)):
        return list(o)
    return str(o)


def read_headline(nb: Any) -> dict[str, Any] | None:
    """The payload of the last :data:`HEADLINE_MIME` output in an executed notebook, or None."""
    found = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if HEADLINE_MIME in data:
                found = data[HEADLINE_MIME]
    return dict(found) if found is not None else None
