"""attnzoo.viz: pictures of attention (heatmaps, image overlays, word highlights) and the HTML report.

Nothing here knows about particular models: functions take weight arrays (torch or numpy) and labels.
matplotlib is imported only inside the functions, and figures are drawn on an Agg canvas without pyplot,
so no display is ever needed and pyplot's global state is left alone. Each plotting function returns the
``Figure``, takes ``ax=`` to draw into existing axes, and ``path=`` to save a PNG.

The attention explorer (:mod:`attnzoo.viz.explorer`): ``*_view`` functions return self-contained, offline
HTML views (plain JavaScript, data as JSON) that ``Report.add_explorer`` embeds.
"""

from attnzoo.viz.canvas import image_grid, save_gif
from attnzoo.viz.explorer import alignment_view, explorer_assets, explorer_page, text_view
from attnzoo.viz.explorer_image import glimpse_view, image_view, ocr_view
from attnzoo.viz.glimpses import glimpse_animation, glimpse_paths, location_heatmaps
from attnzoo.viz.heatmap import attention_heatmap, heatmap_grid
from attnzoo.viz.index import format_value, write_index
from attnzoo.viz.overlay import image_overlay, upsample_map
from attnzoo.viz.plots import fit_plot, line_plot
from attnzoo.viz.report import Report
from attnzoo.viz.rollout import attention_rollout
from attnzoo.viz.words import highlight_words_html, highlight_words_terminal

__all__ = [
    "Report",
    "alignment_view",
    "attention_heatmap",
    "attention_rollout",
    "explorer_assets",
    "explorer_page",
    "fit_plot",
    "format_value",
    "glimpse_animation",
    "glimpse_paths",
    "glimpse_view",
    "heatmap_grid",
    "highlight_words_html",
    "highlight_words_terminal",
    "image_grid",
    "image_overlay",
    "image_view",
    "line_plot",
    "location_heatmaps",
    "ocr_view",
    "save_gif",
    "text_view",
    "upsample_map",
    "write_index",
]
