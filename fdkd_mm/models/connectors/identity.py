"""The identity connector: a dataset pair's way of saying "the widths already match"."""
from torch import Tensor, nn

from fdkd_mm.registry import MODELS


@MODELS.register_module()
class IdentityConnector(nn.Module):
    """Pass the recorded tensor through unchanged (no parameters).

    A dataset pair names how its student's feature reaches the teacher's width, e.g.
    ``connectors=dict(student_feat=dict(type='IdentityConnector'))`` where the widths are
    equal and a ``ProjectionConnector`` where they differ, so one method config serves every
    pair. Being a config dict, it is overridden like any other (``--cfg-options
    model.connectors.student_feat.type=ProjectionConnector ...``).
    """

    def forward(self, x: Tensor) -> Tensor:
        """Return ``x``."""
        return x
