"""The one check that the tensors mapped to a loss have the widths the loss was built for.

Losses that hold width-dependent parameters (FD-CMKD's heads, C2KD's proxies, AFD's query and
key layers) declare ``input_channels() -> {argument: width or [widths]}``. The distiller
checks every step (a comparison of integers) and the config validator checks before training,
both through :func:`check_input_channels`, so a mismatch is always reported the same way:
naming the loss, the argument, the recorder and what to add.
"""
from collections.abc import Sequence
from typing import Optional, Union

Widths = Union[int, Sequence[int]]


class WidthMismatchError(ValueError):
    """A recorded tensor's width does not fit the loss it is mapped to."""


def _as_list(widths: Widths) -> list[int]:
    return [widths] if isinstance(widths, int) else list(widths)


def check_input_channels(loss_name: str, arg: str, expected: Widths,
                         got: Sequence[Optional[int]], described: Sequence[str],
                         role: str) -> None:
    """Raise :class:`WidthMismatchError` when a mapped tensor's dim 1 differs from the loss's.

    Args:
        loss_name: Name of the loss in ``distill_losses``.
        arg: The loss's forward argument.
        expected: The width the loss declares for ``arg`` (a list for a list of tensors).
        got: The width of each mapped tensor; ``None`` where unknown (skipped).
        described: For each tensor, how it was obtained (``"student recorder 'feat' (path
            'backbone.layer4')"``).
        role: ``'student'`` or ``'teacher'``: whose tensor (for the suggested connector name).
    """
    expected = _as_list(expected)
    if len(expected) != len(got):
        raise WidthMismatchError(
            f'distill loss {loss_name!r} argument {arg!r} expects {len(expected)} tensors, '
            f'{len(got)} are mapped to it')
    for want, width, what in zip(expected, got, described):
        if width is None or width == want:
            continue
        connector = arg if arg.startswith(f'{role}_') else f'{role}_{arg}'
        raise WidthMismatchError(
            f'feature widths cannot meet: distill loss {loss_name!r} argument {arg!r} expects '
            f'{want} channels, but {what} gives {width}. Add '
            f"connectors=dict({connector}=dict(type='ProjectionConnector', "
            f'in_channels={width}, out_channels={want})) and map it with '
            f"connector='{connector}', or fix the recorder path / the loss's channels.")
