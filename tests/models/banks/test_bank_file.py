"""Bank files: a bank of an older format is refused naming the file and the fix."""
import pytest
import torch

from fdkd_mm.models.banks import BANK_FORMAT, BANK_VERSION, load_bank


def test_a_bank_of_the_first_format_is_refused_naming_the_file(tmp_path):
    """Version 1 recorded the teacher as checkpoint, sha256, modality and arch."""
    assert BANK_VERSION == 2
    path = tmp_path / 'old_bank.pth'
    teacher = dict(checkpoint='teacher.pth', sha256='0' * 64, modality='audio', arch='X')
    torch.save(dict(format=BANK_FORMAT, version=1, manifest=dict(teacher=teacher),
                    tensors=dict(counts=torch.ones(2))), path)
    with pytest.raises(ValueError, match=rf'^{path}: teacher bank version 1, this fdkd_mm reads '
                                         r'version 2; build the bank again'):
        load_bank(str(path))
