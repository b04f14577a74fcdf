"""attnzoo.functional."""
