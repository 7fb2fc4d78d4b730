# VGGSound's training clips split into two disjoint halves for the unpaired protocol
# (docs/unpaired.md): part A trains the teacher, part B the student, by YouTube video (clips of
# one video never fall into both parts). Every config of the protocol on VGGSound inherits this
# one split; the test split is used whole by both.
part_split = dict(group_by='video', fraction=0.5, seed=0)
