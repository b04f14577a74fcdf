"""attnzoo.recipes."""
