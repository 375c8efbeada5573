"""Render findings into words with Jinja templates from narratives/<locale>/."""
