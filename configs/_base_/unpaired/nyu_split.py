# NYU-Depth V2's 795 training frames split by scene (room) into two disjoint halves for the
# unpaired protocol (docs/unpaired.md): part A trains the teacher, part B the student, so no room
# is seen by both. Every config of the protocol on NYU inherits this one split; the test split is
# used whole by both. Needs the data root's scenes.txt (tools/dataset_converters/nyu_depth_v2.py).
part_split = dict(group_by='scene', fraction=0.5, seed=0)
