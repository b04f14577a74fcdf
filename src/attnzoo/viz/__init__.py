"""attnzoo.viz: pictures of attention (heatmaps, image overlays, word highlights) and the HTML report.

Nothing here knows about particular models: functions take weight arrays (torch or numpy) and labels.
matplotlib is imported only inside the functions, and figures are drawn on an Agg canvas without pyplot,
so no display is ever needed and pyplot's global state is left alone. Each plotting function returns the
``Figure``, takes ``ax=`` to draw into existing axes, and ``path=`` to save a PNG.
"""

from attnzoo.viz.glimpses import glimpse_animation, glimpse_paths, location_heatmaps
from attnzoo.viz.heatmap import attention_heatmap, heatmap_grid
from attnzoo.viz.overlay import image_overlay, upsample_map
from attnzoo.viz.plots import fit_plot, line_plot
from attnzoo.viz.report import Report, write_index
from attnzoo.viz.words import highlight_words_html, highlight_words_terminal

__all__ = [
    "Report",
    "attention_heatmap",
    "fit_plot",
    "glimpse_animation",
    "glimpse_paths",
    "heatmap_grid",
    "highlight_words_html",
    "highlight_words_terminal",
    "image_overlay",
    "line_plot",
    "location_heatmaps",
    "upsample_map",
    "write_index",
]
