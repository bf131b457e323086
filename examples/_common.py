"""Shared by the example scripts (not an example itself): a headless
matplotlib when there is no display, and where to write the figure."""

import os
import sys

import matplotlib

if not os.environ.get('MPLBACKEND') and sys.platform.startswith('linux') and not (
        os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')):
    matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def out_path(name):
    """Where to write the figure: $MOOSEPY_EXAMPLE_OUT (a folder or a .png
    file) if set, else the current folder."""
    out = os.environ.get('MOOSEPY_EXAMPLE_OUT')
    if not out:
        return os.path.join(os.getcwd(), name)
    if out.lower().endswith('.png'):
        return out
    os.makedirs(out, exist_ok=True)
    return os.path.join(out, name)


__all__ = ['plt', 'out_path']
