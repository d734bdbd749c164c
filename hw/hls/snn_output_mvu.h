// SnnOutputMVU: the non-spiking output accumulator on T-bit spike words.
//
// For every input vector and output channel c (c = nf * PE + p):
//
//     a[t] = sum_i W[i][c] * s_i[t]          (a spike gates a weight: no multiplier)
//     v[c] = sum_t (a[t] + b[c])
//
// Output, EMIT_LABEL = 0: MH signed SBITS-bit scores per vector, PE per beat,
// element 0 in the LSBs. EMIT_LABEL = 1: one beat per vector, the unsigned
// LABEL_BITS-bit argmax_c v[c], the lowest index on ties (channels are visited
// in increasing order and only a strictly larger score replaces the best).
// Input stream, processing order, buffering and weight layout as snn_lif_mvu.h.
//
// CONFIG_T: MW, MH, SIMD, PE, T, NUM_VECTORS, ACC_BITS, STATE_BITS, SBITS,
// EMIT_LABEL, LABEL_BITS, OUT_W (PE * SBITS or LABEL_BITS), SF, NF, TILES,
// weight_t, bias_t.
#ifndef SNN_OUTPUT_MVU_H_
#define SNN_OUTPUT_MVU_H_

#include "snn_common.h"

namespace snn {

template <class CONFIG_T>
void snn_output_mvu(hls::stream<ap_uint<CONFIG_T::SIMD * CONFIG_T::T> > &in,
                    hls::stream<ap_uint<CONFIG_T::OUT_W> > &out,
                    const typename CONFIG_T::weight_t (&weights)[CONFIG_T::PE][CONFIG_T::TILES][CONFIG_T::SIMD],
                    const typename CONFIG_T::bias_t (&bias)[CONFIG_T::PE][CONFIG_T::NF]) {
    static const unsigned T = CONFIG_T::T;
    static const unsigned SIMD = CONFIG_T::SIMD;
    static const unsigned PE = CONFIG_T::PE;
    static const unsigned SF = CONFIG_T::SF;
    static const unsigned NF = CONFIG_T::NF;
    static const unsigned SBITS = CONFIG_T::SBITS;
    static_assert(SF * SIMD == CONFIG_T::MW, "SIMD must divide MW");
    static_assert(NF * PE == CONFIG_T::MH, "PE must divide MH");
    static_assert(CONFIG_T::OUT_W == (CONFIG_T::EMIT_LABEL ? CONFIG_T::LABEL_BITS : PE * SBITS),
                  "OUT_W must be PE * SBITS, or LABEL_BITS with EMIT_LABEL");
    typedef ap_int<CONFIG_T::ACC_BITS> acc_t;
    typedef ap_int<CONFIG_T::STATE_BITS> score_t;

    ap_uint<SIMD * T> inbuf[SF];  // the current input vector, re-read for every neuron fold
#pragma HLS ARRAY_PARTITION variable=inbuf complete dim=1
    acc_t acc[PE][T];  // a[t] of the PE's current channel
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0
    score_t best = 0;  // EMIT_LABEL: largest score of this vector so far, and its channel
    ap_uint<CONFIG_T::LABEL_BITS> best_label = 0;

    unsigned sf = 0, nf = 0;
    for (unsigned i = 0; i < CONFIG_T::NUM_VECTORS * NF * SF; i++) {
#pragma HLS PIPELINE II=1
        const ap_uint<SIMD * T> beat = fetch_beat<SF>(in, inbuf, sf, nf);
        accumulate_spikes<PE, SIMD, T, CONFIG_T::TILES>(acc, beat, weights, nf * SF + sf, sf == 0);
        if (sf == SF - 1) {
            ap_uint<PE * SBITS> scores;
            for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
                score_t v = 0;
                for (unsigned t = 0; t < T; t++) {
#pragma HLS UNROLL
                    v += acc[p][t] + bias[p][nf];  // v[c] = sum_t (a[t] + b[c])
                }
                const ap_int<SBITS> field = v;
                scores.range(p * SBITS + SBITS - 1, p * SBITS) = field.range(SBITS - 1, 0);
                if ((nf == 0 && p == 0) || v > best) {
                    best = v;
                    best_label = nf * PE + p;
                }
            }
            if (CONFIG_T::EMIT_LABEL) {
                if (nf == NF - 1) out.write(best_label);
            } else {
                out.write(scores);
            }
            sf = 0;
            nf = (nf == NF - 1) ? 0 : nf + 1;
        } else {
            sf++;
        }
    }
}

}  // namespace snn

#endif
