"""The CNV-sized network with weights in UltraRAM (``bench.cnv_uram``): fits the ZCU104 and runs bit-exact in RTL
through the driver's ``sim`` transport, the weight load included: the ``uram`` build (seven layers on the load
chain, about 5 minutes here: ``slow``). ``make bench-cnv-uram`` also runs the ``auto`` build (8,000 frames/s, the
folding moves conv6 to URAM; its constant-weight layers take ~45 minutes of Verilator C++ compilation on 2 shared
cores) and writes bench/results/cnv_uram.json."""

import numpy as np
import pytest

from bench.cnv_uram import cnv_network, run_build


@pytest.mark.slow
def test_cnv_sized_network_with_uram_weights_fits_and_is_bit_exact(tmp_path, name="uram"):
    net_path = tmp_path / "cnv.snn.npz"
    cnv_network(0).save(net_path)
    images = np.random.default_rng(1).integers(0, 256, (2, 3, 32, 32)).astype(np.uint8)
    res = run_build(name, net_path, tmp_path, images, log=lambda m: None)
    assert res["fits_zcu104"] and res["totals"]["URAM"] > 0 and res["weight_memory"]["uram_layers"]
    assert res["bit_exact"], (res["scores_rtl"], res["scores_golden"])
