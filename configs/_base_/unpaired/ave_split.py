# AVE's training clips split into two disjoint halves for the unpaired protocol
# (docs/unpaired.md): part A trains the teacher, part B the student. An AVE clip is a whole
# video (its id is the YouTube id), so the split is by clip. Every config of the protocol on AVE
# inherits this one split; the test split is used whole by both.
part_split = dict(group_by='sample', fraction=0.5, seed=0)
