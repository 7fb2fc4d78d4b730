"""Run a tool shipped inside mmseg / mmpretrain unchanged, with two compatibility shims.

``python run_toolbox_tool.py TOOL.py ARGS...`` runs ``TOOL.py ARGS...`` after patching two
incompatibilities of the installed stack that are not fdkd_mm's (they fail the same way on the
toolboxes' own datasets):

* mmpretrain's vis_tsne.py passes ``n_iter`` to scikit-learn's ``TSNE``, renamed ``max_iter`` in
  scikit-learn 1.7 (the old name removed): forwarded.
* mmseg 1.2.2's ``SegLocalVisualizer`` draws class names with ``cv2.rectangle`` on a buffer
  shaped like the image, which OpenCV 5 rejects when the image is a non-contiguous view (as
  browse_dataset.py passes it): the image is made contiguous first.
"""
import runpy
import sys

import numpy as np
import sklearn.manifold
from mmseg.visualization import SegLocalVisualizer


_TSNE = sklearn.manifold.TSNE


def tsne(*args, n_iter=None, **kwargs):
    """``TSNE(n_iter=...)`` as scikit-learn < 1.7 accepted it."""
    if n_iter is not None:
        kwargs['max_iter'] = n_iter
    return _TSNE(*args, **kwargs)


sklearn.manifold.TSNE = tsne
_draw_sem_seg = SegLocalVisualizer._draw_sem_seg
SegLocalVisualizer._draw_sem_seg = (
    lambda self, image, *args, **kwargs: _draw_sem_seg(self, np.ascontiguousarray(image),
                                                       *args, **kwargs))
tool = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(tool, run_name='__main__')
