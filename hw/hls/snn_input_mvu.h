// SnnInputMVU: the first layer: matrix-vector unit on unsigned pixels + LIF neurons.
//
// For every input vector (one im2col window) and output channel c (c = nf * PE + p):
//
//     a    = sum_i W[i][c] * x_i              (one product, computed once)
//     u[t] = leak_k(u[t-1]) + a + b[c] - theta[c] * o[t-1]     for t = 0 .. T-1
//     o[t] = u[t] > theta[c]
//
// Streams: in, MW pixels of IBITS bits per vector, SIMD per beat, element 0
// in the LSBs; out, MH T-bit spike words per vector, PE per beat. Processing
// order, buffering and weight layout as snn_lif_mvu.h; one accumulator per PE.
//
// CONFIG_T: MW, MH, SIMD, PE, T, IBITS, NUM_VECTORS, LEAK_SHIFT, ACC_BITS,
// STATE_BITS, SF, NF, TILES, weight_t, bias_t, theta_t.
#ifndef SNN_INPUT_MVU_H_
#define SNN_INPUT_MVU_H_

#include "snn_common.h"

namespace snn {

template <class CONFIG_T>
void snn_input_mvu(hls::stream<ap_uint<CONFIG_T::SIMD * CONFIG_T::IBITS> > &in,
                   hls::stream<ap_uint<CONFIG_T::PE * CONFIG_T::T> > &out,
                   const typename CONFIG_T::weight_t (&weights)[CONFIG_T::PE][CONFIG_T::TILES][CONFIG_T::SIMD],
                   const typename CONFIG_T::bias_t (&bias)[CONFIG_T::PE][CONFIG_T::NF],
                   const typename CONFIG_T::theta_t (&theta)[CONFIG_T::PE][CONFIG_T::NF]) {
    static const unsigned T = CONFIG_T::T;
    static const unsigned IBITS = CONFIG_T::IBITS;
    static const unsigned SIMD = CONFIG_T::SIMD;
    static const unsigned PE = CONFIG_T::PE;
    static const unsigned SF = CONFIG_T::SF;
    static const unsigned NF = CONFIG_T::NF;
    static_assert(SF * SIMD == CONFIG_T::MW, "SIMD must divide MW");
    static_assert(NF * PE == CONFIG_T::MH, "PE must divide MH");
    typedef ap_int<CONFIG_T::ACC_BITS> acc_t;

    ap_uint<SIMD * IBITS> inbuf[SF];  // the current window, re-read for every neuron fold
#pragma HLS ARRAY_PARTITION variable=inbuf complete dim=1
    acc_t acc[PE];  // a of the PE's current channel
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1

    unsigned sf = 0, nf = 0;
    for (unsigned i = 0; i < CONFIG_T::NUM_VECTORS * NF * SF; i++) {
#pragma HLS PIPELINE II=1
        const ap_uint<SIMD * IBITS> beat = fetch_beat<SF>(in, inbuf, sf, nf);
        const unsigned tile = nf * SF + sf;
        for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
            acc_t sum = (sf == 0) ? acc_t(0) : acc[p];
            for (unsigned s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
                const ap_uint<IBITS> x = beat.range(s * IBITS + IBITS - 1, s * IBITS);
                sum += weights[p][tile][s] * x;  // a += W * x
            }
            acc[p] = sum;
        }
        if (sf == SF - 1) {
            ap_uint<PE * T> obeat;
            for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
                acc_t current[T];  // the same product at every timestep
#pragma HLS ARRAY_PARTITION variable=current complete dim=1
                for (unsigned t = 0; t < T; t++) {
#pragma HLS UNROLL
                    current[t] = acc[p];
                }
                obeat.range(p * T + T - 1, p * T) =
                    lif_word<T, CONFIG_T::STATE_BITS, CONFIG_T::LEAK_SHIFT>(current, bias[p][nf], theta[p][nf]);
            }
            out.write(obeat);
            sf = 0;
            nf = (nf == NF - 1) ? 0 : nf + 1;
        } else {
            sf++;
        }
    }
}

}  // namespace snn

#endif
