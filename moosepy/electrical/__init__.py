"""Placeholder for the electrical layer (see ../shared/DESIGN.md); built by a later issue."""
