// Shared pieces of the DIET-SNN HLS blocks: the LIF neuron of SPEC section 3.
//
// A neuron with input current a[t], bias b, threshold theta and leak shift k,
// from u[-1] = 0, o[-1] = 0, over t = 0 .. T-1:
//
//     u[t] = leak_k(u[t-1]) + a[t] + b - theta * o[t-1]
//     o[t] = u[t] > theta
//     leak_k(u) = u                  (k = 0, no leak)
//                 u - (u >> k)       (k > 0, arithmetic shift)
//
// Every register is wide enough for the SPEC section 6 bound of its value
// (the generator checks it), so nothing here saturates or wraps: ap_int
// sums widen by one bit per operator, and the final assignment to the
// STATE_BITS membrane is exact.
#ifndef SNN_COMMON_H_
#define SNN_COMMON_H_

#include "ap_int.h"
#include "hls_stream.h"

namespace snn {

// leak_k(u): u for K = 0, else u - (u >> K) with the arithmetic shift of ap_int.
template <unsigned K, int STATE_BITS>
ap_int<STATE_BITS> leak(const ap_int<STATE_BITS> u) {
#pragma HLS INLINE
    if (K == 0) return u;
    return u - (u >> K);
}

// One neuron over all T timesteps, time-inner: the membrane lives only in
// this call. current[t] is a[t]; returns the spike word (bit t = o[t]).
template <unsigned T, int STATE_BITS, unsigned LEAK_SHIFT, class acc_T, class bias_T, class theta_T>
ap_uint<T> lif_word(const acc_T current[T], const bias_T bias, const theta_T theta) {
#pragma HLS INLINE
    ap_int<STATE_BITS> u = 0;
    bool o = false;
    ap_uint<T> word = 0;
    for (unsigned t = 0; t < T; t++) {
#pragma HLS UNROLL
        const theta_T reset = o ? theta : theta_T(0);
        // u[t] = leak_k(u[t-1]) + a[t] + b - theta * o[t-1]
        u = leak<LEAK_SHIFT, STATE_BITS>(u) + current[t] + bias - reset;
        // o[t] = u[t] > theta
        o = u > theta;
        word[t] = o;
    }
    return word;
}

// The beat of synapse fold sf of the current input vector, in FINN's MVAU order:
// read from the stream on the first neuron fold (nf == 0) and kept in inbuf,
// re-read from inbuf for every later neuron fold.
template <unsigned SF, class beat_T>
beat_T fetch_beat(hls::stream<beat_T> &in, beat_T (&inbuf)[SF], const unsigned sf, const unsigned nf) {
#pragma HLS INLINE
    if (nf == 0) {
        const beat_T beat = in.read();
        inbuf[sf] = beat;
        return beat;
    }
    return inbuf[sf];
}

// a[p][t] += sum_s W[p][tile][s] * s_s[t] for one beat of SIMD T-bit spike words
// (a spike gates a weight: no multiplier); the sums restart on the first
// synapse fold.
template <unsigned PE, unsigned SIMD, unsigned T, unsigned TILES, class acc_T, class weight_T>
void accumulate_spikes(acc_T (&acc)[PE][T], const ap_uint<SIMD * T> beat,
                       const weight_T (&weights)[PE][TILES][SIMD], const unsigned tile, const bool first) {
#pragma HLS INLINE
    for (unsigned p = 0; p < PE; p++) {
#pragma HLS UNROLL
        for (unsigned t = 0; t < T; t++) {
#pragma HLS UNROLL
            acc_T sum = first ? acc_T(0) : acc[p][t];
            for (unsigned s = 0; s < SIMD; s++) {
#pragma HLS UNROLL
                if (beat[s * T + t]) sum += weights[p][tile][s];  // a[t] += W * s[t]
            }
            acc[p][t] = sum;
        }
    }
}

}  // namespace snn

#endif
