"""What a demo's seed table does and does not show, computed from its own numbers.

Small CPU runs are bit-reproducible only on the same machine with the same thread count: a
different CPU or ``OMP_NUM_THREADS`` changes the order of floating-point sums and, over a few
epochs, the trajectory. A demo therefore states each method's gain over the baseline with the
spread of that gain over seeds, and says whether the gain exceeds it on *this* machine, instead
of quoting numbers measured elsewhere.
"""
import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Optional

from fdkd_mm.reproduction.tables import SeedSummary


def gain_over(summary: SeedSummary, baseline: SeedSummary,
              metric: Optional[str] = None) -> Optional[tuple[float, float]]:
    """Difference of means and its standard error, from the seeds of both rows.

    Args:
        summary: The method's row.
        baseline: The baseline's row (e.g. the student alone).
        metric: The metric (default: the rows' paper metric).

    Returns:
        ``(mean(summary) - mean(baseline), sqrt(var_a / n_a + var_b / n_b))`` (sample
        variances), or None when a row has fewer than two values.
    """
    metric = metric or summary.paper_metric
    a, b = summary.values.get(metric, []), baseline.values.get(metric, [])
    if len(a) < 2 or len(b) < 2:
        return None
    error = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    return statistics.fmean(a) - statistics.fmean(b), error


def verdict_lines(summaries: Sequence[SeedSummary], names: Mapping[str, str],
                  baseline_method: str, factor: float = 2.0) -> list[str]:
    """One line per method: its gain over the baseline and whether it exceeds the spread.

    A gain counts as "beyond the seed spread" when it is larger than ``factor`` standard
    errors of the difference (about a 95% two-sided margin for normal noise).

    Args:
        summaries: The rows of the table.
        names: Row name per method key.
        baseline_method: Method key of the baseline row.
        factor: Standard errors a gain must exceed.

    Returns:
        Text lines (an explanation instead when there are fewer than two seeds).
    """
    baseline = next((s for s in summaries if s.method == baseline_method), None)
    if baseline is None:
        return []
    lines = []
    for summary in summaries:
        if summary is baseline:
            continue
        gain = gain_over(summary, baseline)
        name = names.get(summary.method, summary.method)
        if gain is None:
            lines.append(f'{name}: fewer than two seeds, no spread to compare a gain with')
            continue
        diff, error = gain
        beyond = abs(diff) > factor * error
        lines.append(f'{name} vs {names.get(baseline_method, baseline_method)}: '
                     f'{diff:+.2f} (standard error {error:.2f}) -> '
                     + ('beyond the seed spread on this machine' if beyond else
                        'within the seed spread: these runs do not separate them'))
    return lines
