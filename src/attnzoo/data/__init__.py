"""attnzoo.data."""
