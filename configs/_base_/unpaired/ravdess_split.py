# RAVDESS's training clips split by actor into two disjoint halves for the unpaired protocol
# (docs/unpaired.md): part A trains the teacher, part B the student, so no person is seen by
# both. Every config of the protocol on RAVDESS inherits this one split; the test split is used
# whole by both.
part_split = dict(group_by='actor', fraction=0.5, seed=0)
