"""attnzoo.nn.vision."""
