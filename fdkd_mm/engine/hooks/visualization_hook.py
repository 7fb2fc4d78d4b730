"""One visualization hook for segmentation and classification configs alike.

The shared runtime (``configs/_base_/default_runtime.py``) cannot know the task, while mmseg's
and mmpretrain's ``tools/test.py --show-dir`` both require ``default_hooks.visualization``:
mmseg's sets ``draw=True`` on it, mmpretrain's ``enable=True`` and ``out_dir``.
:class:`TaskVisualizationHook` takes both switches and draws with the toolbox's own hook,
picked by the runner's visualizer (set per dataset in ``configs/_base_/datasets``):
``SegVisualizationHook`` for mmseg's ``SegLocalVisualizer`` (prediction overlaid on the image
file the sample names, for distillers too, whatever the student's modality), mmpretrain's
``VisualizationHook`` for its ``UniversalVisualizer`` (image inputs only).
"""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.visualization import Visualizer

from fdkd_mm.registry import HOOKS


@HOOKS.register_module()
class TaskVisualizationHook(Hook):
    """Draw val / test predictions with the toolbox hook matching the visualizer.

    Off by default; nothing is built or drawn until ``draw`` or ``enable`` is set.

    Args:
        draw: Draw predictions (mmseg's switch).
        enable: Same, mmpretrain's name for it.
        interval: Draw every ``interval`` iterations (mmseg) / samples (mmpretrain).
        show: Show in a window instead of writing through the vis backends.
        wait_time: Seconds a shown window waits.
        out_dir: mmpretrain: folder of the drawn files (mmseg writes to the visualizer's
            ``save_dir``).
        backend_args: File backend arguments for reading images (mmseg).
    """

    priority = 'NORMAL'

    def __init__(self, draw: bool = False, enable: Optional[bool] = None, interval: int = 50,
                 show: bool = False, wait_time: float = 0., out_dir: Optional[str] = None,
                 backend_args: Optional[dict] = None) -> None:
        self.delegate = None
        if not (draw or enable):
            return
        visualizer = Visualizer.get_current_instance()
        kind = type(visualizer).__name__
        if kind == 'SegLocalVisualizer':
            from mmseg.engine.hooks import SegVisualizationHook
            self.delegate = SegVisualizationHook(draw=True, interval=interval, show=show,
                                                 wait_time=wait_time, backend_args=backend_args)
        elif kind == 'UniversalVisualizer':
            from mmpretrain.engine.hooks import VisualizationHook
            self.delegate = VisualizationHook(enable=True, interval=interval, show=show,
                                              out_dir=out_dir, wait_time=wait_time)
        else:
            raise ValueError(f'the visualizer is a {kind}, which cannot draw predictions: set '
                             "visualizer=dict(type='mmseg.SegLocalVisualizer') for "
                             "segmentation or dict(type='mmpretrain.UniversalVisualizer') for "
                             'classification')

    def _student_images(self, runner, data_batch: dict) -> dict:
        """A distiller's batch holds every modality: draw the student's own images."""
        inputs = data_batch.get('inputs')
        if isinstance(inputs, dict):
            modality = getattr(runner.model, 'student_input', None)
            inputs = inputs.get(modality)
        sample = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        shape = tuple(getattr(sample, 'shape', ()))
        if len(shape) != 3 or shape[0] != 3:
            raise ValueError(f'classification predictions are drawn on (3, H, W) images; the '
                             f'inputs are {shape}: no visualization for this modality')
        return dict(data_batch, inputs=inputs)

    def _draw(self, runner, batch_idx: int, data_batch: dict, outputs: Sequence,
              mode: str) -> None:
        if self.delegate is None:
            return
        if type(self.delegate).__name__ == 'VisualizationHook':
            data_batch = self._student_images(runner, data_batch)
        getattr(self.delegate, f'after_{mode}_iter')(runner, batch_idx, data_batch, outputs)

    def after_val_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                       outputs: Optional[Sequence] = None) -> None:
        self._draw(runner, batch_idx, data_batch, outputs, 'val')

    def after_test_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        self._draw(runner, batch_idx, data_batch, outputs, 'test')
