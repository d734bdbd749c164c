"""The typed build files: a real report and stitched design round-trip exactly; corrupt files name themselves."""

import json

import numpy as np
import pytest

from dietsnn.artifacts import ArtifactError, CompileReport, FifoDepths, Stitched, StreamFormat


def _stitched() -> Stitched:
    params = {"IN_WIDTH": 8, "OUT_WIDTH": 16, "AXIS_IN_WIDTH": 8, "AXIS_OUT_WIDTH": 16, "IN_BEATS": 64,
              "OUT_BEATS": 3, "BATCHES": 8, "NETWORK_ID": 0x1234ABCD}
    return Stitched(top="dietsnn_top", accel_module="dietsnn_accel", accel_parameters=params,
                    sources=("a.sv", "b.sv"), mem_files=("fc1_w.mem",), in_width=8, out_width=16,
                    waivers="finn_waivers.vlt", nodes=(("conv1", "SnnInputMVU_rtl"), ("fc2", "SnnOutputMVU_rtl")),
                    stream=StreamFormat(8, 1, 16, 1, True, 3))


def test_stitched_round_trip_keeps_the_file_format(tmp_path):
    s = _stitched()
    path = s.save(tmp_path)  # a build folder gets stitched.json
    assert path == tmp_path / "stitched.json"
    data = json.loads(path.read_text())
    assert list(data) == ["top", "accel", "sources", "mem_files", "in_width", "out_width", "waivers", "nodes",
                          "in_bits", "in_elems", "out_bits", "out_elems", "out_signed", "out_per_frame"]
    assert data["nodes"][1] == {"name": "fc2", "op_type": "SnnOutputMVU_rtl"}
    assert Stitched.load(tmp_path) == s and Stitched.load(path).network_id == 0x1234ABCD
    assert [p.name for p in tmp_path.iterdir()] == ["stitched.json"]  # no temporary left behind


def test_compile_report_of_a_real_build_round_trips(tmp_path):
    from hw.compile import CompileOptions, build_dataflow
    from dietsnn.testing import random_network

    net = random_network(np.random.default_rng(3), in_shape=(1, 6, 6))
    report = build_dataflow(net, CompileOptions(fps=2000)).report
    data = {**report, "fit": {"fits": True, "over": []}, "options": {"board": "ZCU104"}}
    (tmp_path / "report.json").write_text(json.dumps(data))
    r = CompileReport.load(tmp_path)
    assert r.to_dict() == data and list(r.to_dict()) == list(data)  # every key, in the order compile wrote it
    assert r.clock_mhz == 200.0 and r.layers[0].layer == "conv1" and r.layers[0].widths["state_bits"] > 0
    assert sum(n.cycles for n in r.all_nodes()) >= r.max_cycles
    assert r.extra["fit"] == {"fits": True, "over": []}  # keys this class does not type are kept as written


@pytest.mark.parametrize("text,message", [
    ("{not json", r"stitched\.json: not valid JSON \(.*\); stitch the build again"),
    ("[1, 2]", r"stitched\.json: expected a JSON object, got list"),
    ("{}", r"stitched\.json: field accel: missing; stitch the build again \(`dietsnn stitch BUILD`\)$"),
])
def test_a_corrupt_stitched_json_names_the_file(tmp_path, text, message):
    (tmp_path / "stitched.json").write_text(text)
    with pytest.raises(ArtifactError, match=message):
        Stitched.load(tmp_path)


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["accel"]["parameters"].pop("NETWORK_ID"), r"field accel\.parameters\.NETWORK_ID: missing"),
    (lambda d: d.__setitem__("sources", "a.sv"), r"field sources: expected a list of strings, got 'a\.sv'"),
    (lambda d: d.__setitem__("out_signed", 1), r"field out_signed: expected true or false, got 1"),
    (lambda d: d["nodes"].__setitem__(0, "conv1"), r"field nodes\[0\]: expected an object, got 'conv1'"),
    (lambda d: d["nodes"][1].pop("op_type"), r"field nodes\[1\]\.op_type: missing"),
    (lambda d: d["accel"]["parameters"].__setitem__("IN_BEATS", "64"), r"field accel\.parameters: expected an object "
                                                                        r"of integers"),
])
def test_a_stitched_json_with_a_bad_field_names_file_and_field(tmp_path, edit, message):
    data = _stitched().to_dict()
    edit(data)
    (tmp_path / "stitched.json").write_text(json.dumps(data))
    with pytest.raises(ArtifactError, match=r"^" + str(tmp_path / "stitched.json").replace(".", r"\.") + ": " + message):
        Stitched.load(tmp_path / "stitched.json")


def test_report_and_fifo_depths_name_their_fields(tmp_path):
    (tmp_path / "report.json").write_text(json.dumps({"board": "ZCU104", "part": "x", "clock_mhz": "200"}))
    with pytest.raises(ArtifactError, match=r"report\.json: field clock_mhz: expected a number, got '200'; compile the "
                                            r"build again"):
        CompileReport.load(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"fifo_depths\.json: missing \(size the FIFOs again"):
        FifoDepths.load(tmp_path)
    FifoDepths(method="m", frames=3, peaks={"f": 4}, depths={"f": 6}).save(tmp_path)
    assert FifoDepths.load(tmp_path).depths == {"f": 6}
    (tmp_path / "fifo_depths.json").write_text(json.dumps({"method": "m", "frames": 3, "peaks": {},
                                                           "depths": {"f": 6.5}}))
    with pytest.raises(ArtifactError, match=r"field depths: expected an object of integers"):
        FifoDepths.load(tmp_path)
