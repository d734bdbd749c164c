// SnnSpikePool: spike max-pooling of SPEC section 4 on NHWC T-bit spike words.
//
//     out[oh][ow][c] = OR over kh < KH, kw < KW of in[oh*SH + kh][ow*SW + kw][c]
//
// (bitwise OR of the words = OR of the spikes at every timestep). Window
// KH x KW, stride SH x SW, no padding: OH = (H - KH) / SH + 1,
// OW = (W - KW) / SW + 1; rows and columns in no window (past the last one, or
// in the gaps of a stride larger than the window) are consumed and dropped.
// Overlapping (K > S), gapped (K < S) and non-square windows are all allowed.
// PE channels per beat, element 0 in the LSBs, C / PE beats per pixel; one
// input beat per cycle.
//
// Separable: a pixel lies in up to NH = ceil(KW / SW) window columns and
// NV = ceil(KH / SH) window rows at once. Column bank j (window columns
// ow = j mod NH) ORs the current row of its window in rowacc[j] (one word per
// channel group); when a window column ends, its row word is ORed into row
// bank i (window rows oh = i mod NV), linebuf[i][ow] (one word per output
// column and channel group), and the window's last row emits it.
//
// CONFIG_T: H, W, C, PE, T, KH, KW, SH, SW; CF = C / PE, OH, OW, NV, NH.
#ifndef SNN_SPIKE_POOL_H_
#define SNN_SPIKE_POOL_H_

#include "snn_common.h"

namespace snn {

template <class CONFIG_T>
void snn_spike_pool(hls::stream<ap_uint<CONFIG_T::PE * CONFIG_T::T> > &in,
                    hls::stream<ap_uint<CONFIG_T::PE * CONFIG_T::T> > &out) {
    static const unsigned H = CONFIG_T::H;
    static const unsigned W = CONFIG_T::W;
    static const unsigned KH = CONFIG_T::KH;
    static const unsigned KW = CONFIG_T::KW;
    static const unsigned SH = CONFIG_T::SH;
    static const unsigned SW = CONFIG_T::SW;
    static const unsigned CF = CONFIG_T::CF;
    static const unsigned OW = CONFIG_T::OW;
    static const unsigned NV = CONFIG_T::NV;
    static const unsigned NH = CONFIG_T::NH;
    static_assert(CF * CONFIG_T::PE == CONFIG_T::C, "PE must divide C");
    static_assert(KH >= 1 && KW >= 1 && SH >= 1 && SW >= 1 && KH <= H && KW <= W,
                  "the KH x KW window must fit the H x W input, strides >= 1");
    static_assert(OW == (W - KW) / SW + 1 && CONFIG_T::OH == (H - KH) / SH + 1, "OH, OW: floor division");
    static_assert(NV == (KH + SH - 1) / SH && NH == (KW + SW - 1) / SW, "NV, NH: open windows per axis");
    // A linebuf word is read and written only when a window column ends (once
    // per input row and channel group), and read again one input row later:
    // W * CF beats apart. With W * CF >= 2 the distance 2 below is a true
    // bound and lets the read-OR-write take two cycles at II=1; a one-beat
    // row (W * CF == 1) keeps its NV words in registers (lbreg) instead.
    static const bool LB_MEM = W * CF >= 2;
    typedef ap_uint<CONFIG_T::PE * CONFIG_T::T> word_t;

    word_t rowacc[NH][CF];  // column bank j: OR of its window's current row so far
#pragma HLS ARRAY_PARTITION variable=rowacc complete dim=0
    word_t linebuf[NV][OW][CF];  // row bank i: OR of its window's finished rows (W * CF >= 2)
#pragma HLS ARRAY_PARTITION variable=linebuf complete dim=1
#pragma HLS DEPENDENCE variable=linebuf inter RAW distance=2 true
    word_t lbreg[NV];  // the same for a one-beat row (W * CF == 1)
#pragma HLS ARRAY_PARTITION variable=lbreg complete dim=1

    // window trackers: bank open, row (column) of its window, next bank to open; column banks' ow
    bool vact[NV], hact[NH];
    unsigned vk[NV], hk[NH];
#pragma HLS ARRAY_PARTITION variable=vact complete dim=1
#pragma HLS ARRAY_PARTITION variable=hact complete dim=1
#pragma HLS ARRAY_PARTITION variable=vk complete dim=1
#pragma HLS ARRAY_PARTITION variable=hk complete dim=1
    for (unsigned i = 0; i < NV; i++) {
#pragma HLS UNROLL
        vact[i] = i == 0;
        vk[i] = 0;
    }
    for (unsigned j = 0; j < NH; j++) {
#pragma HLS UNROLL
        hact[j] = j == 0;
        hk[j] = 0;
    }
    unsigned vsel = 1 % NV, hsel = 1 % NH;
    unsigned h = 0, w = 0, cf = 0, ph = 0, pw = 0, ow = 0;  // ow: the next window column to end

    for (unsigned n = 0; n < H * W * CF; n++) {
#pragma HLS PIPELINE II=1
        const word_t beat = in.read();
        // horizontal: OR into every open window column; at most one ends here
        bool row_done = false;
        word_t row_word = 0;
        for (unsigned j = 0; j < NH; j++) {
#pragma HLS UNROLL
            if (hact[j]) {
                const word_t v = (hk[j] == 0) ? beat : word_t(rowacc[j][cf] | beat);
                if (hk[j] == KW - 1) {
                    row_done = true;
                    row_word = v;
                } else {
                    rowacc[j][cf] = v;
                }
            }
        }
        // vertical: the ended window column's row word into every open window row; at most one ends
        if (row_done) {
            for (unsigned i = 0; i < NV; i++) {
#pragma HLS UNROLL
                if (vact[i]) {
                    const word_t prev = LB_MEM ? linebuf[i][ow][cf] : lbreg[i];
                    const word_t v = (vk[i] == 0) ? row_word : word_t(prev | row_word);
                    if (vk[i] == KH - 1) {
                        out.write(v);
                    } else if (LB_MEM) {
                        linebuf[i][ow][cf] = v;
                    } else {
                        lbreg[i] = v;
                    }
                }
            }
        }
        // position and trackers: channel group, then column, then row
        if (cf != CF - 1) {
            cf++;
        } else if (w != W - 1) {  // next column
            cf = 0;
            pw = (pw == SW - 1) ? 0 : pw + 1;
            if (row_done) ow++;
            for (unsigned j = 0; j < NH; j++) {
#pragma HLS UNROLL
                if (hact[j]) {
                    if (hk[j] == KW - 1) hact[j] = false;
                    else hk[j]++;
                }
            }
            if (pw == 0 && w + KW < W) {  // a window column opens at column w + 1
                hact[hsel] = true;
                hk[hsel] = 0;
                hsel = (hsel == NH - 1) ? 0 : hsel + 1;
            }
            w++;
        } else {  // next row
            cf = 0;
            w = 0;
            pw = 0;
            ow = 0;
            for (unsigned j = 0; j < NH; j++) {
#pragma HLS UNROLL
                hact[j] = j == 0;
                hk[j] = 0;
            }
            hsel = 1 % NH;
            ph = (ph == SH - 1) ? 0 : ph + 1;
            for (unsigned i = 0; i < NV; i++) {
#pragma HLS UNROLL
                if (vact[i]) {
                    if (vk[i] == KH - 1) vact[i] = false;
                    else vk[i]++;
                }
            }
            if (ph == 0 && h + KH < H) {  // a window row opens at row h + 1
                vact[vsel] = true;
                vk[vsel] = 0;
                vsel = (vsel == NV - 1) ? 0 : vsel + 1;
            }
            h++;
        }
    }
}

}  // namespace snn

#endif
