"""The deploy notebook, executed top to bottom by nbclient with the ``sim`` transport on real Fashion-MNIST
images; the predictions it prints must be the golden model's."""

import os
import re

import numpy as np


def test_notebook_runs_and_prints_the_golden_predictions(fmnist_deploy, fmnist_test_images, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    from dietsnn.netfile import IntNetwork
    from dietsnn.ref import run_network

    n = 100
    for k, v in {"DIETSNN_DEPLOY": str(fmnist_deploy), "DIETSNN_TRANSPORT": "sim", "DIETSNN_IMAGES": str(n),
                 "DIETSNN_BATCH": "64", "MPLBACKEND": "Agg"}.items():
        monkeypatch.setenv(k, v)
    path = fmnist_deploy / "notebooks" / "dietsnn_inference.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")
    m = re.search(r"^predictions: ([\d ]+)$", text, re.M)
    assert m, text
    printed = np.array([int(v) for v in m.group(1).split()])
    net = IntNetwork.load(fmnist_deploy / "network.snn.npz")
    assert np.array_equal(printed, run_network(net, fmnist_test_images[0][:n]).pred)
    assert "differ from the reference: 0 of 100" in text
    assert re.search(r"fps_at_clock': \d+", text)
    assert os.environ["DIETSNN_TRANSPORT"] == "sim"
