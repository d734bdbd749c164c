"""bench.train_speed: both models timed in alternating rounds on the same batch and device."""

import pytest

from bench.train_speed import compare
from quant_train.config import load_config


def test_compare_interleaves_and_records_the_device_and_load():
    cfg = load_config("fmnist").replace(batch_size=4)
    r = compare(cfg, device="cpu", steps=1, repeats=2, warmup=1, threads=1)
    assert r["device_type"] == "cpu" and r["threads"] == 1 and len(r["rounds"]) == 2
    for rnd in r["rounds"]:
        assert rnd["dietsnn"]["images_per_s"] > 0 and rnd["snntorch"]["images_per_s"] > 0
        assert rnd["ratio"] == pytest.approx(rnd["dietsnn"]["images_per_s"] / rnd["snntorch"]["images_per_s"])
    assert r["speedup"] == pytest.approx(sorted(x["ratio"] for x in r["rounds"])[0] / 2
                                         + sorted(x["ratio"] for x in r["rounds"])[1] / 2)
    assert len(r["load_average_before_after"]) == 2 and isinstance(r["machine_loaded"], bool)
