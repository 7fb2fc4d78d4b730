# CrisisMMD-V2 under MST-Distill's protocol (./crisismmd8_mst.py), tweet text alone (the text
# "Uni" model): (2, L) tokens as the plain inputs tensor.
_base_ = ['./crisismmd8_mst.py']

_pack = dict(type='fdkd_mm.PackTextImageInputs', modalities=('text', ), plain_inputs=True)
train_pipeline = _base_.text_pipeline + [_pack]
test_pipeline = _base_.text_pipeline + [_pack]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
