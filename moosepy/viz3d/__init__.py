"""Placeholder for the viz3d layer (see ../shared/DESIGN.md); built by a later issue."""
