"""Shared base of the project's FINN matrix-vector ops (``SnnInputMVU``, ``SnnLIFMVU``, ``SnnOutputMVU``).

A stream element is one input value per matrix column: an 8-bit pixel
(``SnnInputMVU``) or a T-bit spike word (bit ``t`` = spike at timestep ``t``).
``SIMD`` input elements and ``PE`` output channels are processed per cycle;
all ``T`` timesteps of a neuron are finished before the next position (the
membrane lives in registers, never in a feature-map memory). Weights are the
second input, FINN's ``(MW, MH)`` layout with rows in ``(kh, kw, c)`` order;
bias and threshold are the next inputs.

Python execution calls ``dietsnn.ref.mvu.mvu_layer`` (built on ``dense_int``,
``lif_sequence``, ``output_accumulate``): no second copy of the LIF math.
"""

from __future__ import annotations

import math

import numpy as np
from finn.custom_op.fpgadataflow.hwcustomop import HWCustomOp
from qonnx.core.datatype import DataType

from dietsnn.ref.mvu import mvu_layer
from dietsnn.vocab import MvuMode

from ..block_params import BlockParamError, MVUParams
from .variants import VARIANTS, Variant, const_cycles_per_vector, const_luts, variant_problems
from ..exact import exact_ints

EXEC_MODES = {"", "python", "cppsim", "rtlsim"}
PYTHON_MODES = ("", "python", "cppsim")  #: every mode but rtlsim runs the Python model (it *is* the C-sim reference)


class HardwareCodeUnavailable(RuntimeError):
    """A step asked for code or a simulation that this project does not generate through FINN."""


def python_exec_mode(inst) -> None:
    """Raise unless the node's ``exec_mode`` runs the Python model (the project simulates its RTL and HLS
    itself: ``sim/`` with Verilator, ``hw.hls_gen`` with g++)."""
    mode = inst.get_nodeattr("exec_mode")
    if mode not in PYTHON_MODES:
        raise HardwareCodeUnavailable(
            f"node {inst.onnx_node.name}: exec_mode {mode!r} needs FINN's simulation of generated code; this "
            "project simulates its blocks with Verilator (sim/) and g++ (hw.hls_gen): use exec_mode 'cppsim'")


int_param = exact_ints  #: an int64 copy of an integer tensor, exact or refused (``hw.exact``)


def bram18(omega: int, mem_width: int) -> int:
    """FINN-R's RAMB18 count for a memory of ``omega`` words of ``mem_width`` bits (as FINN's MVAU)."""
    if mem_width == 1:
        return math.ceil(omega / 16384)
    if mem_width == 2:
        return math.ceil(omega / 8192)
    if mem_width <= 4:
        return math.ceil(omega / 4096) * math.ceil(mem_width / 4)
    if mem_width <= 9:
        return math.ceil(omega / 2048) * math.ceil(mem_width / 9)
    if mem_width <= 18 or omega > 512:
        return math.ceil(omega / 1024) * math.ceil(mem_width / 18)
    return math.ceil(omega / 512) * math.ceil(mem_width / 36)


def uram288(omega: int, mem_width: int) -> int:
    """URAM288 blocks (4096 words x 72 bits each) of a memory of ``omega`` words of ``mem_width`` bits (as FINN's
    ``MVAU.uram_estimation``)."""
    return math.ceil(mem_width / 72) * math.ceil(omega / 4096)


class SnnMVUBase(HWCustomOp):
    """Attributes, shapes, streams, cycles and resource estimates common to the three MVU ops."""

    #: weights in LUTRAM when the weight memory is at most this deep
    LUTRAM_DEPTH = 128

    def get_nodeattr_types(self):
        attrs = {
            "MW": ("i", True, 0),  #: matrix width: input elements per vector (K*K*C or F)
            "MH": ("i", True, 0),  #: matrix height: output channels
            "SIMD": ("i", False, 1),  #: input elements per cycle, divides MW
            "PE": ("i", False, 1),  #: output channels per cycle, divides MH
            "T": ("i", True, 5),  #: timesteps per spike word
            "numInputVectors": ("ints", False, [1]),  #: e.g. [1, OH, OW]
            "inputDataType": ("s", True, ""),  #: UINT8 image or UINT<T> spike words
            "weightDataType": ("s", True, ""),  #: INT<bits>
            "leak_shift": ("i", False, 0),  #: k of leak_k, 0 = no leak
            "accBits": ("i", False, 0),  #: signed width of a[t] (SPEC section 6)
            "stateBits": ("i", False, 0),  #: signed width of u[t] or of the score
            #: where the weights are: "auto" (block RAM, LUTRAM when shallow), "ultra" (UltraRAM, loaded at run time
            #: through the weight loader), as chosen by ``hw.weight_memory.place_weights``
            "ram_style": ("s", False, "auto", {"auto", "block", "distributed", "ultra"}),
            #: bits per beat of the weight-load stream of an "ultra" unit (the chain's input width; set by stitch)
            "loadWidth": ("i", False, 0),
            #: bits per cycle the input arrives at when the folding feeds the unit from the narrow side of a
            #: width converter (``hw.fifos.PlaceFIFOs``); 0: at the unit's own stream width
            "inputFillWidth": ("i", False, 0),
            #: the block: "generic" (weights in memory) or "const" (weights as constants in logic), see
            #: ``hw.finn_ops.variants``; the folding chooses
            "variant": ("s", False, "generic", set(VARIANTS)),
            "weightOnes": ("i", False, 0),  #: set bits of all |w| (the const variant's model; written by the folding)
            "variantCosts": ("s", False, ""),  #: what the folding priced per variant (why this variant)
        }
        attrs.update(super().get_nodeattr_types())
        attrs["exec_mode"] = ("s", False, "python", EXEC_MODES)
        return attrs

    # ------------------------------------------------------------ shapes and streams
    def _vectors(self) -> list[int]:
        return [int(v) for v in self.get_nodeattr("numInputVectors")]

    def get_normal_input_shape(self, ind=0):
        return tuple(self._vectors() + [self.get_nodeattr("MW")])

    def get_folded_input_shape(self, ind=0):
        mw, simd = self.get_nodeattr("MW"), self.get_nodeattr("SIMD")
        return tuple(self._vectors() + [mw // simd, simd])

    def get_normal_output_shape(self, ind=0):
        return tuple(self._vectors() + [self.get_nodeattr("MH")])

    def get_folded_output_shape(self, ind=0):
        mh, pe = self.get_nodeattr("MH"), self.get_nodeattr("PE")
        return tuple(self._vectors() + [mh // pe, pe])

    def get_input_datatype(self, ind=0):
        if ind == 1:
            return DataType[self.get_nodeattr("weightDataType")]
        return DataType[self.get_nodeattr("inputDataType")]

    def get_output_datatype(self, ind=0):
        return DataType[f"UINT{self.get_nodeattr('T')}"]

    def get_instream_width(self, ind=0):
        return self.get_input_datatype().bitwidth() * self.get_nodeattr("SIMD")

    def get_outstream_width(self, ind=0):
        return self.get_output_datatype().bitwidth() * self.get_nodeattr("PE")

    def infer_node_datatype(self, model):
        idt = model.get_tensor_datatype(self.onnx_node.input[0])
        if idt.name != self.get_nodeattr("inputDataType"):
            raise ValueError(f"node {self.onnx_node.name}: input datatype is {idt.name}, "
                             f"the node was built for {self.get_nodeattr('inputDataType')}")
        model.set_tensor_datatype(self.onnx_node.output[0], self.get_output_datatype())

    # ------------------------------------------------------------ the block and its checks
    def mode(self) -> MvuMode:
        """The matrix-vector mode this op computes (``dietsnn.ref.mvu.mvu_layer``, the RTL's ``MODE``)."""
        return MvuMode.INPUT_LIF if self.image_input else MvuMode.LIF

    def block_params(self) -> MVUParams:
        """The block this node describes (``hw.block_params``): what verify_node checks and the generators take."""
        return MVUParams(mode=self.mode(), MW=self.get_nodeattr("MW"), MH=self.get_nodeattr("MH"),
                         SIMD=self.get_nodeattr("SIMD"), PE=self.get_nodeattr("PE"), T=self.get_nodeattr("T"),
                         WBITS=self.get_input_datatype(1).bitwidth(), ACC_BITS=self.get_nodeattr("accBits"),
                         STATE_BITS=self.get_nodeattr("stateBits"), IBITS=self.get_input_datatype(0).bitwidth(),
                         LEAK_SHIFT=self.get_nodeattr("leak_shift"), NUM_VECTORS=int(math.prod(self._vectors())),
                         SBITS=None if self.mode().is_lif else self.get_nodeattr("stateBits"),
                         name=f"{self.onnx_node.name}_hls")

    def verify_node(self):
        """Every problem of the block for this node's backend (none: the abstraction layer's checks)."""
        backend = getattr(self, "impl_style", None)
        if self.get_nodeattr("variant") == Variant.CONST.value:  # another block: the generic unit's caps do not apply
            return self.block_params().problems(None) + variant_problems(self, backend)
        return self.block_params().problems(backend) + variant_problems(self, backend)

    def check_folding(self):
        """Raise ``BlockParamError`` naming the node when the block cannot be built (what ``compile`` calls)."""
        bad = self.verify_node()
        if bad:
            raise BlockParamError(f"node {self.onnx_node.name}", bad)

    # ------------------------------------------------------------ python execution
    def _inputs(self, context):
        node = self.onnx_node
        mw, mh = self.get_nodeattr("MW"), self.get_nodeattr("MH")
        x = context[node.input[0]]
        w = int_param(context[node.input[1]], f"node {node.name}: weights")
        if w.shape != (mw, mh):
            raise ValueError(f"node {node.name}: weights have shape {w.shape}, expected (MW, MH) = ({mw}, {mh})")
        params = [int_param(context[n], f"node {node.name}: input {n}") for n in node.input[2:]]
        return x, w, params

    image_input = False

    def execute_node(self, context, graph):
        python_exec_mode(self)
        x, w, params = self._inputs(context)
        flat = np.asarray(x).reshape(-1, self.get_nodeattr("MW"))  # a dense layer after a conv reads the map flat
        theta = params[1] if len(params) > 1 else None
        out = mvu_layer(flat, w, params[0], self.get_nodeattr("T"), self.mode(), theta, self.get_nodeattr("leak_shift"))
        # spike words (< 2^T <= 2^16) in float32 tensors, as FINN's width converters want them; scores and
        # labels as int64, exact at any width (FINN's FIFOs pass them through)
        dtype = np.float32 if self.mode().is_lif else np.int64
        context[self.onnx_node.output[0]] = out.reshape(self.get_normal_output_shape()).astype(dtype)

    # ------------------------------------------------------------ cycles and resources
    def get_exp_cycles(self):
        """Per input vector: NF neuron folds of SF cycles; the first fold reads the vector from the stream, at
        one beat per ``ratio`` cycles when it comes through a width converter from a narrower stream
        (``inputFillWidth``), the others reread the unit's buffer."""
        mw, mh = self.get_nodeattr("MW"), self.get_nodeattr("MH")
        simd, pe = self.get_nodeattr("SIMD"), self.get_nodeattr("PE")
        sf, nf = mw // simd, mh // pe
        if self.get_nodeattr("variant") == Variant.CONST.value:
            return int(math.prod(self._vectors()) * const_cycles_per_vector(self))
        fill = self.get_nodeattr("inputFillWidth")
        width = self.get_instream_width()
        ratio = 1 if not fill or fill >= width else -(-width // fill)
        return int(math.prod(self._vectors()) * (sf * ratio + (nf - 1) * sf))

    def weight_memory(self) -> tuple[int, int]:
        """(depth, width) of the weight memory: MW*MH/(PE*SIMD) words of PE*SIMD*W bits."""
        mw, mh = self.get_nodeattr("MW"), self.get_nodeattr("MH")
        simd, pe = self.get_nodeattr("SIMD"), self.get_nodeattr("PE")
        wbits = self.get_input_datatype(1).bitwidth()
        return mw * mh // (pe * simd), pe * simd * wbits

    def weights_in_lutram(self) -> bool:
        style = self.get_nodeattr("ram_style")
        return style == "distributed" or (style == "auto" and self.weight_memory()[0] <= self.LUTRAM_DEPTH)

    def bram_estimation(self, fpgapart=None):
        if self.get_nodeattr("variant") == Variant.CONST.value:
            return 0  # constants in logic
        if self.weights_in_lutram() or self.get_nodeattr("ram_style") == "ultra":
            return 0
        return bram18(*self.weight_memory())

    def uram_estimation(self, fpgapart=None):
        if self.get_nodeattr("variant") == Variant.CONST.value:
            return 0
        if self.get_nodeattr("ram_style") != "ultra":
            return 0
        return uram288(*self.weight_memory())

    def dsp_estimation(self, fpgapart=None):
        return 0  # spikes gate weights: no multiplier

    def spike_tree_luts(self) -> float:
        """One timestep's adder tree over SIMD gated weights (widths grow with the tree depth)."""
        simd, w = self.get_nodeattr("SIMD"), self.get_input_datatype(1).bitwidth()
        return simd * (w + 1 + math.log2(simd))

    def tree_luts(self) -> float:
        """The adder-tree size of one PE, all its timesteps (before the calibration factor ``C_TREE``)."""
        return self.get_nodeattr("T") * self.spike_tree_luts()  # T gated trees

    def neuron_luts(self) -> float:
        """Accumulators and neuron updates of one PE (before the calibration factor ``C_NEURON``)."""
        T, acc, state = self.get_nodeattr("T"), self.get_nodeattr("accBits"), self.get_nodeattr("stateBits")
        return T * acc + T * 3 * state  # T accumulators and LIF updates

    #: Calibration of the generic unit's LUT estimate against Yosys ``synth_xilinx -family xcup`` of the pipelined
    #: unit (fc1 224 x 1: 13,901 LUT, 224 x 2: 17,950; conv2 96 x 2: 8,564; conv1 3 x 4: 1,141; the
    #: ``bench.network_synth`` and ``bench.blocks`` runs of README "Results"): the trees on carry chains cost about
    #: a quarter of their nominal size, the neuron about 0.7, and the input buffer (an input vector kept for the
    #: other neuron folds, with its read multiplexer) about 8.75 LUT per bit.
    C_TREE, C_NEURON, C_IBUF = 0.27, 0.7, 8.75

    def lut_estimation(self, fpgapart=None):
        """50 + PE x (C_TREE x trees + C_NEURON x neuron) + the input buffer (when there are neuron folds to
        re-read it for) + LUTRAM weights; within 10% of Yosys on the blocks of ``C_TREE``'s comment."""
        if self.get_nodeattr("variant") == Variant.CONST.value:
            return const_luts(self)
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        nf = self.get_nodeattr("MH") // pe
        depth, width = self.weight_memory()
        lutram = width * math.ceil(depth / 64) if self.weights_in_lutram() else 0
        ibuf = self.C_IBUF * simd * self.get_input_datatype(0).bitwidth() if nf > 1 else 0
        return int(50 + pe * (self.C_TREE * self.tree_luts() + self.C_NEURON * self.neuron_luts()) + ibuf + lutram)
