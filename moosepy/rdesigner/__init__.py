"""Placeholder for the rdesigner layer (see ../shared/DESIGN.md); built by a later issue."""
