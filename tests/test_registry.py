"""Registry: our types build under default_scope='fdkd_mm' and beside mmseg/mmpretrain types."""
import subprocess
import sys
import textwrap


def run_isolated(code: str) -> subprocess.CompletedProcess:
    """Run in a fresh interpreter: lazy registration only shows without prior imports."""
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          capture_output=True, text=True)


def test_default_scope_alone_builds_our_types_lazily():
    result = run_isolated("""
        from mmengine.registry import MODELS, init_default_scope
        init_default_scope('fdkd_mm')
        dec = MODELS.build(dict(type='FrequencyDecoupler', cutoff=0.25))
        print(type(dec).__module__, dec.cutoff)
    """)
    assert result.returncode == 0, result.stderr
    assert 'fdkd_mm.models.decouplers.frequency 0.25' in result.stdout


def test_custom_imports_and_scoped_foreign_types_build_from_one_config(tmp_path):
    config = tmp_path / 'cfg.py'
    config.write_text(textwrap.dedent("""
        custom_imports = dict(imports=['fdkd_mm'], allow_failed_imports=False)
        default_scope = 'fdkd_mm'
        head = dict(type='SharedHead', in_channels=8, num_classes=3)
        backbone = dict(type='mmpretrain.ResNet', depth=18, base_channels=8, stem_channels=8)
        seg = dict(type='mmseg.ResNetV1c', depth=18, base_channels=8, stem_channels=8)
    """))
    result = run_isolated(f"""
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from fdkd_mm.registry import MODELS
        cfg = Config.fromfile({str(config)!r})
        init_default_scope(cfg.default_scope)
        for key in ('head', 'backbone', 'seg'):
            print(key, type(MODELS.build(cfg[key])).__module__)
    """)
    assert result.returncode == 0, result.stderr
    assert 'head fdkd_mm.models.heads.shared_head' in result.stdout
    assert 'backbone mmpretrain.models.backbones.resnet' in result.stdout
    assert 'seg mmseg.models.backbones.resnet' in result.stdout


def test_models_build_passes_modules_through_and_leaves_the_config_as_given():
    import copy

    import torch
    from mmengine.registry import init_default_scope
    from fdkd_mm.registry import MODELS
    from fdkd_mm.testing.tiny_models import tiny_segmentor
    init_default_scope('fdkd_mm')
    module = torch.nn.Linear(2, 2)
    assert MODELS.build(module) is module
    cfg = tiny_segmentor(1, [0.0], [1.0], bgr_to_rgb=False)
    given = copy.deepcopy(cfg)
    segmentor = MODELS.build(cfg)  # its unprefixed nested types build in mmseg's scope
    assert type(segmentor.backbone).__module__ == 'mmseg.models.backbones.resnet'
    assert cfg == given  # no _scope_ written into the caller's config
    # A Config's nested ConfigDicts: mmpretrain's classifier sets defaults in its
    # data_preprocessor dict; the built model must not write them back into the config.
    from mmengine.config import Config
    from fdkd_mm.testing.tiny_models import tiny_classifier
    config = Config(dict(model=tiny_classifier(1)))
    MODELS.build(config.model)
    assert config.model.data_preprocessor.to_dict() == tiny_classifier(1)['data_preprocessor']
    layers = MODELS.build([dict(type='mmpretrain.GlobalAveragePooling'), module])
    assert isinstance(layers, torch.nn.Sequential) and layers[1] is module
