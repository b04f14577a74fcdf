"""attnzoo.viz."""
