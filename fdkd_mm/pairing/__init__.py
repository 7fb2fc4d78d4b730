"""A new modality pair from a manifest: networks, recorders found by a dry forward pass, and
the pair / Uni / method configs (``tools/new_pair.py``)."""
from .networks import SHORT_LIST, describe_choices, network_cfg, preprocessor_cfg  # noqa: F401
from .probe import ProbeResult, probe_network  # noqa: F401
from .writer import PairFiles, write_pair  # noqa: F401
from .unpaired import write_unpaired  # noqa: F401
