"""Inference with an exported student on the modalities the toolboxes cannot read.

``tools/export_student.py`` writes, for a student on audio, frame clips, depth or text, an
fdkd_mm config with a ``deploy`` entry (the modality and the data-info key its loader reads).
:class:`StudentInferencer` follows MMEngine's ``BaseInferencer``: it builds the student from that
config, loads the exported weights strictly, runs the student's own test pipeline on each input
and returns plain predictions::

    from fdkd_mm.apis import StudentInferencer
    inferencer = StudentInferencer('work_dirs/export/student_audio.py',
                                   'work_dirs/export/student_audio.pth', device='cpu')
    inferencer('clip.wav')['predictions'][0]   # {'pred_label': 3, 'pred_class': 'FEA', ...}
"""
import copy
import os
import os.path as osp
from typing import Any, Optional, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.infer import BaseInferencer
from mmengine.registry import init_default_scope

from fdkd_mm.checkpoint.config_data import config_from_meta
from fdkd_mm.checkpoint.safe_loading import load_checkpoint_file
from fdkd_mm.datasets.pipeline_split.student import LABEL_LOADERS, short_type

#: What one input is, per data-info key of the student's loader.
INPUT_KINDS = {
    'audio_path': 'a wav file (or a .npy / .pkl spectrogram, as the config loads)',
    'frame_dir': 'a folder of frames (.jpg / .jpeg / .png, in natural order)',
    'depth_path': 'a single-channel uint16 PNG in millimetres',
    'img_path': 'an image file',
    'text': 'the text itself',
}


class StudentInferencer(BaseInferencer):
    """Predictions of an exported student from files of its modality.

    One input per prediction: a wav (audio students), a folder of frames (video students), a
    depth PNG (depth students), an image, or a string (text students); a data-info ``dict``
    passes extra keys through. ``predictions`` holds, per input, ``pred_label``,
    ``pred_score``, ``pred_scores`` and ``pred_class`` (classification) or ``sem_seg`` (an
    (H, W) int64 array of class indices) and ``classes`` (segmentation).

    Args:
        model: The exported config (path or ``Config``); ``None`` reads the config the
            exported checkpoint stores as data (``meta['cfg_dict']``, checked to name only
            registered types; its text is never executed).
        weights: The exported checkpoint.
        device: Device to run on (default: CUDA if available).
        show_progress: Show a progress bar over the inputs.
    """

    visualize_kwargs = {'return_vis'}

    def __init__(self, model: Union[str, Config, None] = None, weights: Optional[str] = None,
                 device: Optional[str] = None, show_progress: bool = False) -> None:
        cfg = self._deploy_config(model, weights)
        init_default_scope('fdkd_mm')
        super().__init__(cfg, weights, device, scope='fdkd_mm', show_progress=show_progress)

    @staticmethod
    def _deploy_config(model: Union[str, Config, None], weights: Optional[str]) -> Config:
        """The exported config, checked to be of fdkd_mm's kind before anything is built."""
        if model is None:
            if weights is None:
                raise ValueError('give the exported config or checkpoint (or both)')
            meta = load_checkpoint_file(weights, map_location='cpu').get('meta') or {}
            cfg = config_from_meta(meta, weights, 'Pass the exported config written beside '
                                   "it: StudentInferencer('<student>.py', weights).")
        else:
            cfg = Config.fromfile(model) if isinstance(model, str) else copy.deepcopy(model)
        if not cfg.get('deploy'):
            raise ValueError('not a config written by tools/export_student.py for an fdkd_mm '
                             'student (no `deploy` entry); plain mmseg / mmpretrain exports '
                             'use those toolboxes\' inferencers')
        return cfg

    # ------------------------------------------------------------------ initialisation
    def _load_weights_to_model(self, model: torch.nn.Module, checkpoint: Optional[dict],
                               cfg: Config) -> None:
        """Load strictly (an exported student has every weight) and keep the class names."""
        if checkpoint is None:
            raise ValueError('StudentInferencer needs the exported weights (weights=...)')
        model.load_state_dict(checkpoint['state_dict'], strict=True)
        meta = checkpoint.get('meta', {}).get('dataset_meta') or cfg.get('metainfo') or {}
        model.dataset_meta = copy.deepcopy(dict(meta))

    def _init_pipeline(self, cfg: Config) -> Compose:
        deploy = cfg.deploy
        self.input_key = deploy['input_key']
        self.task = deploy.get('task')
        # Labels are not part of an input; the rest is the student's test pipeline as is.
        transforms = [t for t in cfg.test_pipeline if short_type(t) not in LABEL_LOADERS]
        return Compose(transforms)

    def _init_visualizer(self, cfg: Config) -> None:
        return None  # visualize() colours label maps with the palette itself

    # ------------------------------------------------------------------ inputs
    def _inputs_to_list(self, inputs: Any) -> list:
        """One input per item; a folder is one clip for frame students, else its files."""
        if isinstance(inputs, (list, tuple)):
            return list(inputs)
        if (isinstance(inputs, str) and self.input_key != 'frame_dir'
                and self.input_key != 'text' and osp.isdir(inputs)):
            return [osp.join(inputs, name) for name in sorted(os.listdir(inputs))]
        return [inputs]

    def _data_info(self, item: Any) -> dict:
        if isinstance(item, dict):
            return copy.deepcopy(item)
        if self.input_key != 'text' and not osp.exists(str(item)):
            raise FileNotFoundError(f'{item!r} does not exist; this student takes '
                                    f'{INPUT_KINDS.get(self.input_key, self.input_key)}')
        return {self.input_key: item}

    def preprocess(self, inputs: list, batch_size: int = 1, **kwargs):
        """Run the student's pipeline on each input and collate batches of ``batch_size``."""
        processed = (self.pipeline(self._data_info(item)) for item in inputs)
        yield from map(self.collate_fn, self._get_chunk_data(processed, batch_size))

    # ------------------------------------------------------------------ outputs
    def visualize(self, inputs: list, preds: list, return_vis: bool = False,
                  **kwargs) -> Optional[list]:
        """With ``return_vis``: segmentation predictions coloured by the palette (RGB)."""
        if not return_vis or self.task != 'segmentation':
            return None
        palette = np.asarray(self.model.dataset_meta.get('palette'), dtype=np.uint8)
        return [palette[pred.pred_sem_seg.data[0].cpu().numpy()] for pred in preds]

    def postprocess(self, preds: list, visualization: Optional[list],
                    return_datasamples: bool = False, **kwargs) -> dict:
        """Data samples, or plain predictions (see the class docstring)."""
        if return_datasamples:
            return dict(predictions=preds, visualization=visualization)
        classes = self.model.dataset_meta.get('classes')
        results = []
        for pred in preds:
            if 'pred_sem_seg' in pred:
                results.append(dict(sem_seg=pred.pred_sem_seg.data[0].cpu().numpy(),
                                    classes=classes))
                continue
            scores = pred.pred_score.detach().cpu()
            label = int(pred.pred_label.item())
            results.append(dict(pred_label=label, pred_score=float(scores[label]),
                                pred_scores=scores.numpy(),
                                pred_class=classes[label] if classes else None))
        return dict(predictions=results, visualization=visualization)
