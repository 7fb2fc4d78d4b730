"""The one check that the tensors mapped to a loss have the widths the loss was built for.

Losses that hold width-dependent parameters (FD-CMKD's heads, C2KD's proxies, the unpaired
loss's heads) declare ``input_channels() -> {argument: width or [widths]}``.
:func:`check_loss_widths` compares them with the widths of the mapped tensors after their
connectors, reporting a mismatch the same way wherever it is found: naming the loss, the
argument, the recorder and what to add. The distiller runs it once: at build, with the widths
the recorded modules declare, and, if some module declared none, once more on the first
training step with the recorded tensors.
"""
from collections.abc import Callable, Mapping, Sequence
from typing import Optional, Union

from torch import nn

from fdkd_mm.models.connectors import IdentityConnector
from fdkd_mm.models.distillers.mappings import ArgSource
from fdkd_mm.models.recorders import declared_width
from fdkd_mm.errors import ConfigError

Widths = Union[int, Sequence[int]]


class WidthMismatchError(ConfigError):
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


def check_loss_widths(losses: Mapping[str, nn.Module],
                      sources: Mapping[str, Mapping[str, ArgSource]],
                      connectors: Mapping[str, nn.Module],
                      width: Callable[[str, str], Optional[int]],
                      describe: Callable[[str, str], str]) -> bool:
    """Check every width a loss declares against its mapped tensors, through their connectors.

    Args:
        losses: The distillation losses by name.
        sources: Loss name → argument → :class:`ArgSource` (the parsed mappings).
        connectors: The connectors by name.
        width: ``width(owner, recorder)``: dim 1 of a recorded (pooled) tensor, None if
            unknown.
        describe: ``describe(owner, recorder)``: how the tensor is obtained, for messages.

    Returns:
        Whether every width the check needed was known (unknown ones are skipped).

    Raises:
        WidthMismatchError: A connector that does not take the recorded width, or a tensor
            whose width the loss does not expect.
    """
    complete = True
    for loss_name, loss in losses.items():
        declared = loss.input_channels() if hasattr(loss, 'input_channels') else {}
        for arg, expected in declared.items():
            source = sources[loss_name].get(arg)
            if source is None or source.kind != 'recorder':
                continue
            widths, described = [], []
            for name, connector in zip(source.recorders, source.connectors):
                text = describe(source.owner, name)
                recorded = width(source.owner, name)
                module = connectors[connector] if connector is not None else None
                if module is not None and not isinstance(module, IdentityConnector):
                    takes = declared_width(module, 'input')
                    if recorded is not None and takes is not None and takes != recorded:
                        raise WidthMismatchError(
                            f'model.connectors.{connector} takes {takes} channels, but {text} '
                            f'gives {recorded}')
                    recorded = declared_width(module, 'output')
                    text += f" after connector '{connector}'"
                complete = complete and recorded is not None
                widths.append(recorded)
                described.append(text)
            check_input_channels(loss_name, arg, expected if source.is_list else [expected],
                                 widths, described, source.role)
    return complete
