# BERT-base text classifier alone: the text "Uni" model / teacher.
_base_ = ['./crisismmd_bert_mobilenetv2.py']
model = _base_.text_classifier
