"""Command-line interface (Typer + rich). One module per command; each exposes ``register(app)``."""
