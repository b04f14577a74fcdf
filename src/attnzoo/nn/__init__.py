"""attnzoo.nn."""
