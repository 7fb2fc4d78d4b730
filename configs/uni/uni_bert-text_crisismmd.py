# Text "Uni" model of CrisisMMD (informative task, 2 classes): BERT-base (local pretrained weights)
# on the tweet text, 20 epochs (schedules/crisismmd_text_20e.py). The teacher of
# crisismmd_text_to_image and the text baseline of Table 2.
_base_ = [
    '../_base_/models/crisismmd_text_bert.py', '../_base_/datasets/crisismmd_text.py',
    '../_base_/schedules/crisismmd_text_20e.py', '../_base_/default_runtime.py'
]
num_classes = 2
model = dict(head=dict(num_classes=num_classes))
