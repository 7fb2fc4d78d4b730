"""Config handling shared by the tools: loading a run's config, typed config switches."""
