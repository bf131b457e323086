"""Writing frames: PNG files and movies (no VTK needed for PNG, MP4, GIF).

* PNG: Pillow (a matplotlib dependency).
* MP4 (H.264): imageio-ffmpeg's bundled ffmpeg when installed (the
  ``[viz]`` extra); without it, VTK's Ogg Theora writer makes ``.ogv``
  beside the asked name (logged).
* GIF: Pillow.
"""

import io
import logging
import os

import numpy as np

from ..core.errors import MooseError

log = logging.getLogger('moosepy.viz3d')


def write_png(img, path):
    from PIL import Image
    Image.fromarray(np.asarray(img, dtype=np.uint8)).save(path)
    return path


def png_bytes(img):
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.asarray(img, dtype=np.uint8)).save(buf, format='PNG')
    return buf.getvalue()


class MovieWriter:
    """Frames (height, width, 3) uint8 to *path* (.mp4, .gif, .ogv)."""

    def __init__(self, path, size, fps=20):
        self.path = str(path)
        self.size = (int(size[0]), int(size[1]))
        self.fps = float(fps)
        self.count = 0
        ext = os.path.splitext(self.path)[1].lower()
        self._gen = self._gif = self._ogv = None
        if ext == '.mp4':
            try:
                import imageio_ffmpeg
            except ImportError:
                self.path = os.path.splitext(self.path)[0] + '.ogv'
                log.warning('imageio-ffmpeg is not installed: writing %s (Ogg Theora) '
                            'instead of MP4', self.path)
                ext = '.ogv'
            else:
                w, h = self.size
                # H.264 in yuv420p needs even sizes
                self._gen = imageio_ffmpeg.write_frames(
                    self.path, (w - w % 2, h - h % 2), fps=self.fps, codec='libx264',
                    pix_fmt_out='yuv420p', macro_block_size=1, quality=7,
                    ffmpeg_log_level='error')
                self._gen.send(None)
        if ext == '.gif':
            self._gif = []
        elif ext == '.ogv':
            from vtkmodules.vtkIOOggTheora import vtkOggTheoraWriter
            from vtkmodules.vtkCommonDataModel import vtkImageData
            self._ogv = vtkOggTheoraWriter()
            self._ogv.SetFileName(self.path)
            self._ogv.SetRate(int(round(self.fps)))
            self._img = vtkImageData()
            self._ogv_started = False
        elif self._gen is None and ext != '.gif':
            raise MooseError(f"viz3d: movie {self.path!r}: expected .mp4, .gif or .ogv")

    def add(self, img):
        img = np.asarray(img, dtype=np.uint8)
        if self._gen is not None:
            h, w = img.shape[0] - img.shape[0] % 2, img.shape[1] - img.shape[1] % 2
            self._gen.send(np.ascontiguousarray(img[:h, :w]))
        elif self._gif is not None:
            self._gif.append(img.copy())
        else:
            from vtkmodules.util import numpy_support as nps
            h, w = img.shape[:2]
            self._img.SetDimensions(w, h, 1)
            a = nps.numpy_to_vtk(np.ascontiguousarray(img[::-1]).reshape(-1, 3), deep=True)
            self._img.GetPointData().SetScalars(a)
            if not self._ogv_started:
                self._ogv.SetInputData(self._img)
                self._ogv.Start()
                self._ogv_started = True
            self._ogv.Write()
        self.count += 1

    def close(self):
        if self._gen is not None:
            self._gen.close()
            self._gen = None
        elif self._gif is not None:
            from PIL import Image
            frames = [Image.fromarray(f) for f in self._gif]
            if frames:
                frames[0].save(self.path, save_all=True, append_images=frames[1:],
                               duration=int(round(1000 / self.fps)), loop=0)
            self._gif = None
        elif self._ogv is not None:
            if self._ogv_started:
                self._ogv.End()
            self._ogv = None
        return self.path
