"""A data preprocessor that runs one sub-preprocessor per modality."""
from typing import Any, Optional, Sequence, Union

from mmengine.model import BaseDataPreprocessor
from torch import nn

from fdkd_mm.registry import MODELS


def _metainfo_only(data_samples: Optional[list]) -> Optional[list]:
    """Copies of the data samples that carry metainfo but no labels.

    Preprocessors such as mmseg's pad the labels of the samples they get and write padding
    metainfo; the non-label modalities get these stand-ins so labels are handled exactly once.
    """
    if data_samples is None:
        return None
    return [type(sample)(metainfo=sample.metainfo) for sample in data_samples]


@MODELS.register_module()
class MultiModalDataPreprocessor(BaseDataPreprocessor):
    """Preprocess a batch whose ``inputs`` is a dict of modalities, one preprocessor each.

    Each modality keeps its own normalisation (e.g. RGB and depth mean/std) and padding. The
    data samples (labels) go through the preprocessor of ``label_modality`` only.

    Args:
        preprocessors: Modality name → preprocessor config (any registered type, e.g.
            ``dict(type='mmseg.SegDataPreProcessor', mean=..., std=...)``) or module.
        label_modality: Modality whose preprocessor handles the data samples. Defaults to the
            first key of ``preprocessors``.
        aligned: Modalities that must come out with the same spatial size (pixel-aligned data
            such as RGB-D); a mismatch raises instead of silently misaligning.
    """

    def __init__(self, preprocessors: dict[str, Union[dict, nn.Module]],
                 label_modality: Optional[str] = None, aligned: Sequence[str] = ()) -> None:
        super().__init__()
        if not preprocessors:
            raise ValueError('MultiModalDataPreprocessor needs at least one modality')
        self.preprocessors = nn.ModuleDict(
            {name: MODELS.build(cfg) for name, cfg in preprocessors.items()})
        self.label_modality = label_modality or next(iter(preprocessors))
        for name in (self.label_modality, *aligned):
            if name not in self.preprocessors:
                raise ValueError(f'modality {name!r} has no preprocessor; configured: '
                                 f'{sorted(self.preprocessors)}')
        self.aligned = tuple(aligned)

    def forward(self, data: dict, training: bool = False) -> dict[str, Any]:
        """Preprocess every configured modality of ``data['inputs']``.

        Args:
            data: ``dict(inputs={modality: batch}, data_samples=[...])`` from the dataloader.
            training: Whether training-time augmentation applies.

        Returns:
            ``dict(inputs={modality: tensor}, data_samples=...)``.
        """
        inputs = data['inputs']
        if not isinstance(inputs, dict):
            raise TypeError(
                'MultiModalDataPreprocessor expects data["inputs"] to be a dict of modalities '
                f'{sorted(self.preprocessors)}, got {type(inputs).__name__}; pack samples with '
                'a multi-modal packing transform')
        missing = [name for name in self.preprocessors if name not in inputs]
        if missing:
            raise KeyError(f'batch lacks modalities {missing}; it has {sorted(inputs)}. Check '
                           'the packing transform of the dataset pipeline.')
        data_samples = data.get('data_samples')
        outputs, out_samples = {}, data_samples
        for name, preprocessor in self.preprocessors.items():
            is_label = name == self.label_modality
            samples = data_samples if is_label else _metainfo_only(data_samples)
            result = preprocessor(dict(inputs=inputs[name], data_samples=samples), training)
            outputs[name] = result['inputs']
            if is_label:
                out_samples = result.get('data_samples')
        for name in inputs.keys() - outputs.keys():
            outputs[name] = self.cast_data(inputs[name])  # modalities nobody normalises
        self._check_aligned(outputs)
        return dict(inputs=outputs, data_samples=out_samples)

    def _check_aligned(self, outputs: dict) -> None:
        sizes = {name: tuple(outputs[name].shape[-2:]) for name in self.aligned}
        if len(set(sizes.values())) > 1:
            raise ValueError(f'pixel-aligned modalities came out with different sizes {sizes}; '
                             'give their preprocessors the same size / size_divisor')
