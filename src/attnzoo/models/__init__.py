"""attnzoo.models."""
