// SnnSpikePool: spike max-pooling of SPEC section 4 on NHWC T-bit spike words.
//
//     out[oh][ow][c] = OR over kh, kw < K of in[oh*K + kh][ow*K + kw][c]
//
// (bitwise OR of the words = OR of the spikes at every timestep). Window K x K,
// stride K; rows and columns past the last full window are consumed and
// dropped (OH = H / K, OW = W / K). PE channels per beat, element 0 in the
// LSBs, C / PE beats per pixel; one input beat per cycle.
//
// A window row is ORed in rowacc (one word per channel group); finished rows
// of the K - 1 upper window rows wait in linebuf, one word per output column
// and channel group.
//
// CONFIG_T: H, W, C, PE, K, T; CF = C / PE, OH = H / K, OW = W / K.
#ifndef SNN_SPIKE_POOL_H_
#define SNN_SPIKE_POOL_H_

#include "snn_common.h"

namespace snn {

template <class CONFIG_T>
void snn_spike_pool(hls::stream<ap_uint<CONFIG_T::PE * CONFIG_T::T> > &in,
                    hls::stream<ap_uint<CONFIG_T::PE * CONFIG_T::T> > &out) {
    static const unsigned H = CONFIG_T::H;
    static const unsigned W = CONFIG_T::W;
    static const unsigned K = CONFIG_T::K;
    static const unsigned CF = CONFIG_T::CF;
    static const unsigned OH = CONFIG_T::OH;
    static const unsigned OW = CONFIG_T::OW;
    static_assert(CF * CONFIG_T::PE == CONFIG_T::C, "PE must divide C");
    static_assert(K >= 1 && OH >= 1 && OW >= 1, "the K x K window must fit the H x W input");
    typedef ap_uint<CONFIG_T::PE * CONFIG_T::T> word_t;

    word_t rowacc[CF];  // OR of the current window row so far
#pragma HLS ARRAY_PARTITION variable=rowacc complete dim=1
    word_t linebuf[OW][CF];  // OR of the window's finished rows
    // A linebuf word is read and written only on a window's last column, and
    // read again one input row later: W * CF >= 2 beats apart (K >= 2 when
    // linebuf is used at all). Distance 2 is thus a safe bound, and lets the
    // read-OR-write take two cycles at II=1.
#pragma HLS DEPENDENCE variable=linebuf inter RAW distance=2 true

    unsigned h = 0, w = 0, cf = 0, kh = 0, kw = 0, ow = 0;
    for (unsigned i = 0; i < H * W * CF; i++) {
#pragma HLS PIPELINE II=1
        const word_t beat = in.read();
        if (h < OH * K && w < OW * K) {
            const word_t row = (kw == 0) ? beat : word_t(rowacc[cf] | beat);
            if (kw == K - 1) {
                const word_t win = (kh == 0) ? row : word_t(linebuf[ow][cf] | row);
                if (kh == K - 1) {
                    out.write(win);
                } else {
                    linebuf[ow][cf] = win;
                }
            } else {
                rowacc[cf] = row;
            }
        }
        if (cf == CF - 1) {
            cf = 0;
            if (w == W - 1) {  // next input row
                w = 0;
                kw = 0;
                ow = 0;
                h++;
                kh = (kh == K - 1) ? 0 : kh + 1;
            } else {
                w++;
                if (kw == K - 1) {
                    kw = 0;
                    ow++;
                } else {
                    kw++;
                }
            }
        } else {
            cf++;
        }
    }
}

}  // namespace snn

#endif
