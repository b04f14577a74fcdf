"""attnzoo.train."""
