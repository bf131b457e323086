"""Placeholder for the stochastic layer (see ../shared/DESIGN.md); built by a later issue."""
