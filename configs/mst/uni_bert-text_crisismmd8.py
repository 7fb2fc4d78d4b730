# CrisisMMD-V2 under MST-Distill's protocol: the humanitarian task (8 classes numbered as
# theirs), their tweets and index-file split; our network and schedule (BERT-base from local
# pretrained weights on the tweet text, 20 epochs). The text "Uni" model and the teacher of
# kd_bert-text_mbv2-image_crisismmd8.
_base_ = [
    '../_base_/models/crisismmd_text_bert.py', '../_base_/datasets/crisismmd8_mst_text.py',
    '../_base_/schedules/crisismmd_text_20e.py', '../_base_/default_runtime.py'
]
num_classes = 8
model = dict(head=dict(num_classes=num_classes))
