"""Training chain (needs the [train] extra: torch)."""
