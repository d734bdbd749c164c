"""Train-side misuse at the quant_train API: each error names the file or argument and what was expected."""

import pytest

from quant_train.config import load_config
from quant_train.train import train


@pytest.mark.parametrize("kw,msg", [
    ({"epochs": 0}, r"^epochs must be a whole number >= 1, not 0$"),
    ({"epochs": -3}, r"^epochs must be a whole number >= 1, not -3$"),
    ({"limit_train": 0}, r"^limit_train must be a whole number >= 1, not 0$"),
    ({"limit_test": -9990}, r"^limit_test must be a whole number >= 1, not -9990$"),
    ({"epochs": 1.5}, r"^epochs must be a whole number >= 1, not 1\.5$"),
])
def test_numbers_outside_their_sense(tmp_path, kw, msg):
    with pytest.raises(ValueError, match=msg):
        train(load_config("fmnist"), tmp_path, **kw)
    assert not any(tmp_path.iterdir())  # refused before anything is written


def test_batch_size_and_epochs_in_the_config(tmp_path):
    for key in ("batch_size", "ann_epochs", "snn_epochs", "convert_batches"):
        with pytest.raises(ValueError, match=rf"^{key} must be >= 1, not 0$"):
            load_config("fmnist").replace(**{key: 0})


def test_resume_without_a_checkpoint_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=rf"^--resume: {tmp_path}/checkpoint\.pt does not exist; nothing to "
                                                r"resume \(train without --resume"):
        train(load_config("fmnist"), tmp_path, resume=True)
    with pytest.raises(ValueError, match=r"a config is needed unless resuming"):
        train(None, tmp_path)


def test_output_layer_must_match_the_dataset_classes(tmp_path, cifar_root):
    cfg = load_config("cifar10_cnv").replace(dataset="cifar100")
    with pytest.raises(ValueError, match=r"config 'cifar10_cnv': the output layer has 10 outputs but the cifar100 "
                                         r"data has 100 classes"):
        train(cfg, tmp_path, limit_train=4, limit_test=2, data_dir=str(cifar_root), device="cpu")


def test_unknown_device_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"^--device must be one of auto, cpu, cuda or cuda:N, not 'gpu'$"):
        train(load_config("fmnist"), tmp_path, device="gpu")
