"""Widget plumbing of the explorer: how a chart of :class:`planning.explore.Explorer` is made
(a plotly ``FigureWidget``, or an ``Output`` widget without anywidget) and updated in place
(new data into the same traces, new traces, or a whole new figure), and :func:`later`, which
runs a job after the answer of the current control message has been sent.

Nothing here computes a number: the engine (:mod:`planning.explore`) decides what to draw.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any


def later(job: Callable[[], Any]) -> None:
    """Run ``job`` after the current message: on the running asyncio loop (in Jupyter the
    kernel's, so the answer of a control change reaches the browser before ``job`` starts and
    the next control message waits for it), else at once."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        job()
        return
    loop.call_soon(job)


def figure_widget(fig: Any) -> Any:
    """A FigureWidget showing ``fig``; without the anywidget package an Output widget that
    redraws ``fig`` (the charts then cannot update in place)."""
    import plotly.graph_objects as go

    try:
        return go.FigureWidget(fig)
    except ImportError:  # plotly >= 6 needs anywidget for FigureWidget
        import ipywidgets as widgets

        out = widgets.Output()
        replace_figure(out, fig)
        return out


def can_update(chart: Any) -> bool:
    """True for a chart that takes new data in place (a FigureWidget), False for the fallback
    Output widget, which is redrawn."""
    return hasattr(chart, "batch_update")


def restyle(chart: Any, traces: list[dict[str, Any]], layout: Mapping[str, Any]) -> None:
    """New data into the same traces of a live FigureWidget: one restyle with the properties of
    each trace (``traces[i]`` for trace ``i``; a property that only some traces give is reset
    on the others, as plotly's restyle does with None: the series give every trace the same
    keys), then the layout keys given, if any (no re-validation of the figure)."""
    values: dict[str, list[Any]] = {}
    for i, props in enumerate(traces):
        for key, value in props.items():
            values.setdefault(key, [None] * len(traces))[i] = value
    chart.plotly_restyle(values, list(range(len(traces))))
    if layout:
        chart.plotly_relayout(dict(layout))


def replace_traces(chart: Any, traces: list[Any], layout: Mapping[str, Any]) -> None:
    """Put new traces and layout properties into a live FigureWidget: the traces are replaced,
    the layout keys given are set (the chart keeps its template and the keys not given)."""
    with chart.batch_update():
        chart.data = []
        chart.add_traces(traces)
        chart.plotly_relayout(dict(layout))


def replace_figure(chart: Any, fig: Any) -> None:
    """Show a new figure in ``chart``: replace all traces and the layout of a FigureWidget, or
    clear and redraw an Output widget."""
    if can_update(chart):
        with chart.batch_update():
            chart.update(data=fig.data, layout=fig.layout, overwrite=True)
    else:
        with chart:
            chart.clear_output(wait=True)
            fig.show()
