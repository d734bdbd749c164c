"""Typed configs: every shipped config loads; unknown keys and bad values are rejected."""

import pytest

from quant_train.config import CONFIG_DIR, LayerKind, load_config
from quant_train.model import trace_shapes


@pytest.mark.parametrize("name", ["fmnist", "cifar10_vgg11", "cifar10_vgg16", "cifar100_vgg16", "cifar10_cnv"])
def test_shipped_configs_load_and_chain(name):
    cfg = load_config(name)
    assert cfg.T == 5 and cfg.weight_bits == 4
    shape = (1, 28, 28) if name == "fmnist" else (3, 32, 32)
    assert trace_shapes(cfg, shape)[-1] == (100 if name.startswith("cifar100") else 10,)


def test_fmnist_is_the_documented_default():
    cfg = load_config("fmnist")
    assert [l.kind for l in cfg.layers] == [LayerKind.CONV, LayerKind.POOL, LayerKind.CONV, LayerKind.POOL,
                                            LayerKind.DENSE, LayerKind.DENSE]


def _write(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


BASE = "name: x\ndataset: fmnist\nlayers:\n  - {kind: conv, out: 4}\n  - {kind: dense, out: 10}\n"


def test_unknown_key_is_rejected(tmp_path):
    with pytest.raises(ValueError, match=r"c\.yaml: unknown key\(s\) \['learning_rate'\]"):
        load_config(_write(tmp_path, BASE + "learning_rate: 3\n"))


def test_unknown_layer_key_and_kind(tmp_path):
    with pytest.raises(ValueError, match=r"c\.yaml\.layers\[0\]: unknown key\(s\) \['channels'\]"):
        load_config(_write(tmp_path, BASE.replace("out: 4", "channels: 4")))
    with pytest.raises(ValueError, match=r"c\.yaml\.layers\[0\]\.kind: expected one of \['conv', 'pool', 'dense'\], not 'avg'"):
        load_config(_write(tmp_path, BASE.replace("kind: conv", "kind: avg")))


@pytest.mark.parametrize("extra,msg", [("T: 17\n", r"T must be in 1\.\.16, not 17"),
                                       ("weight_bits: 9\n", r"weight_bits must be in 2\.\.8, not 9")])
def test_bad_values(tmp_path, extra, msg):
    with pytest.raises(ValueError, match=msg):
        load_config(_write(tmp_path, BASE + extra))


def test_missing_config_lists_known_ones():
    with pytest.raises(FileNotFoundError,
                       match=r"config 'nope' not found .*known configs: \['cifar100_vgg16', 'cifar10_cnv', 'cifar10_vgg11'"):
        load_config("nope")
    assert (CONFIG_DIR / "fmnist.yaml").is_file()


def test_invalid_yaml_names_the_file_and_the_line(tmp_path):
    p = _write(tmp_path, BASE + "T: [5\n")
    with pytest.raises(ValueError, match=rf"^{p}: not valid YAML: .*line \d+"):
        load_config(p)
    with pytest.raises(ValueError, match=rf"^{p}: expected a mapping, got NoneType$"):
        load_config(_write(tmp_path, "# nothing but a comment\n"))


@pytest.mark.parametrize("extra,msg", [
    ("T: five\n", r"c\.yaml\.T: expected int, got str 'five'"),
    ("augment: 3\n", r"c\.yaml\.augment: expected bool, got int 3"),
    ("snn_lr: yes\n", r"c\.yaml\.snn_lr: expected float, got bool True"),
    ("batch_size: 0\n", r"c\.yaml: batch_size must be >= 1, not 0"),
    ("snn_epochs: -1\n", r"c\.yaml: snn_epochs must be >= 1, not -1"),
    ("ann_lr: .nan\n", r"c\.yaml: ann_lr must be a finite number > 0, not nan"),
    ("percentile: 120\n", r"c\.yaml: percentile must be in \(0, 100\], not 120\.0"),
    ("data_dir: 3\n", r"c\.yaml\.data_dir: expected str or null, got int 3"),
    ("distill: 1.0\n", r"c\.yaml: distill must be in \[0, 1\) \(the weight of the teacher's term\), not 1\.0"),
    ("snn_weight_decay: -1\n", r"c\.yaml: snn_weight_decay must be a finite number >= 0, not -1\.0"),
    ("distill_temperature: 0\n", r"c\.yaml: distill_temperature must be a finite number > 0, not 0\.0"),
])
def test_wrong_types_and_values(tmp_path, extra, msg):
    with pytest.raises(ValueError, match=msg):
        load_config(_write(tmp_path, BASE + extra))


def test_layer_values_are_checked(tmp_path):
    with pytest.raises(ValueError, match=r"c\.yaml\.layers\[0\]: a conv layer needs out >= 1"):
        load_config(_write(tmp_path, BASE.replace("out: 4", "out: 0")))
    with pytest.raises(ValueError, match=r"c\.yaml\.layers\[1\]: dropout must be in \[0, 1\), not 1\.0"):
        load_config(_write(tmp_path, BASE.replace("out: 10}", "out: 10, dropout: 1.0}")))


def test_pool_stride_defaults_to_its_kernel_and_can_differ(tmp_path):
    text = BASE.replace("  - {kind: dense", "  - {kind: pool, kernel: 3, stride: 2}\n  - {kind: pool, kernel: 2}\n"
                                            "  - {kind: dense")
    cfg = load_config(_write(tmp_path, text))
    assert [(l.kernel, l.stride) for l in cfg.layers] == [(3, 1), (3, 2), (2, 2), (3, 1)]
    assert trace_shapes(cfg, (1, 28, 28))[1:4] == [(4, 28, 28), (4, 13, 13), (4, 6, 6)]


def test_replace_checks_like_the_yaml_loader():
    cfg = load_config("fmnist")
    assert cfg.replace(snn_lr=1).snn_lr == 1.0 and isinstance(cfg.replace(snn_lr=1).snn_lr, float)
    with pytest.raises(ValueError, match=r"^config\.snn_lr: expected float, got str '1e-4'$"):
        cfg.replace(snn_lr="1e-4")
    with pytest.raises(ValueError, match=r"^config: unknown key 'learning_rate'"):
        cfg.replace(learning_rate=1e-3)
