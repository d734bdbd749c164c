// SnnLIFMVU: fused matrix-vector unit + LIF neurons on T-bit spike words.
//
// For every input vector and output channel c (c = nf * PE + p):
//
//     a[t] = sum_i W[i][c] * s_i[t]          (a spike gates a weight: no multiplier)
//     u[t] = leak_k(u[t-1]) + a[t] + b[c] - theta[c] * o[t-1]
//     o[t] = u[t] > theta[c]
//
// Streams (SPEC section 5): in, MW elements per vector, each a T-bit word
// (bit t = spike at t), SIMD elements per beat, element 0 in the LSBs; out,
// MH spike words per vector, PE per beat. Order as FINN's MVAU: for each
// vector, for each neuron fold nf, for each synapse fold sf, one beat per
// cycle (read from the stream on nf == 0, from the vector buffer after).
// T accumulators per PE; after the last sf the PE's T LIF steps run and one
// output beat is written.
//
// CONFIG_T (generated, see hw/templates/hls/snn_layer.cpp.j2):
//   MW, MH, SIMD, PE, T, NUM_VECTORS, LEAK_SHIFT, ACC_BITS, STATE_BITS;
//   SF = MW / SIMD, NF = MH / PE, TILES = NF * SF;
//   weight_t (ap_int<WBITS>), bias_t, theta_t (ap_int wide enough for the values).
// Weights: weights[p][nf * SF + sf][s] = W[sf * SIMD + s][nf * PE + p].
// Bias, theta: bias[p][nf] = b[nf * PE + p].
#ifndef SNN_LIF_MVU_H_
#define SNN_LIF_MVU_H_

#include "snn_common.h"

namespace snn {

template <class CONFIG_T>
void snn_lif_mvu(hls::stream<ap_uint<CONFIG_T::SIMD * CONFIG_T::T> > &in,
                 hls::stream<ap_uint<CONFIG_T::PE * CONFIG_T::T> > &out,
                 const typename CONFIG_T::weight_t (&weights)[CONFIG_T::PE][CONFIG_T::TILES][CONFIG_T::SIMD],
                 const typename CONFIG_T::bias_t (&bias)[CONFIG_T::PE][CONFIG_T::NF],
                 const typename CONFIG_T::theta_t (&theta)[CONFIG_T::PE][CONFIG_T::NF]) {
    static const unsigned T = CONFIG_T::T;
    static const unsigned SIMD = CONFIG_T::SIMD;
    static const unsigned PE = CONFIG_T::PE;
    static const unsigned SF = CONFIG_T::SF;
    static const unsigned NF = CONFIG_T::NF;
    static_assert(SF * SIMD == CONFIG_T::MW, "SIMD must divide MW");
    static_assert(NF * PE == CONFIG_T::MH, "PE must divide MH");
    typedef ap_int<CONFIG_T::ACC_BITS> acc_t;

    ap_uint<SIMD * T> inbuf[SF];  // the current input vector, re-read for every neuron fold
#pragma HLS ARRAY_PARTITION variable=inbuf complete dim=1
    acc_t acc[PE][T];  // a[t] of the PE's current channel
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0

    unsigned sf = 0, nf = 0;
    for (unsigned i = 0; i < CONFIG_T::NUM_VECTORS * NF * SF; i++) {
#pragma HLS PIPELINE II=1
        const ap_uint<SIMD * T> beat = fetch_beat<SF>(in, inbuf, sf, nf);
        accumulate_spikes<PE, SIMD, T, CONFIG_T::TILES>(acc, beat, weights, nf * SF + sf, sf == 0);
        if (sf == SF - 1) {
            ap_uint<PE * T> obeat;
            for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
                obeat.range(p * T + T - 1, p * T) =
                    lif_word<T, CONFIG_T::STATE_BITS, CONFIG_T::LEAK_SHIFT>(acc[p], bias[p][nf], theta[p][nf]);
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
