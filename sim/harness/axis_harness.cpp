// Stand-alone Verilator harness of the deployable accelerator (dietsnn_accel).
//
// It plays the DMA engines of the block design: the input file holds the bytes
// an MM2S channel would read from memory (frames of IN_BYTES_PER_FRAME, beats of
// AXIS_IN_WIDTH/8 bytes, little-endian), sent with TLAST at the end of every
// batch; the output file gets the bytes an S2MM channel would write. The output
// TLAST is checked against the batches. Optional random input gaps and output
// backpressure, per-frame completion cycles (stats JSON) and spike counts on the
// tapped inter-layer streams (taps.h, generated per build by sim/harness.py).
//
// usage: dietsnn_sim --in IN.bin --out OUT.bin --frames N [--batch B]
//                    [--idle P] [--backpressure P] [--seed S] [--stats S.json]
//                    [--taps TAPS.bin] [--mem-dir DIR] [--max-stall CYCLES]
//                    [--preload WEIGHTS.bin]
//        dietsnn_sim --in IN.bin --out OUT.bin --transfers LIST.txt [--idle P] [--backpressure P]
//                    [--seed S] [--stats S.json] [--taps TAPS.bin] [--mem-dir DIR] [--max-stall CYCLES]
// exit status: 0 ok, 1 usage or file error, 3 protocol error (TLAST), 4 stall
//
// --preload (frame mode): after the reset and before the frames, stream WEIGHTS.bin (whole beats) as one
// transfer with TLAST on its last beat, with the same input gaps: the weight load of a design whose
// weights are in UltraRAM (the driver's weights.bin). Nothing may come out meanwhile. The frames' cycle
// counts start after it ("load_cycles" in the stats).
//
// Transfer mode (--transfers, for the DMA model of dietsnn/sim_dma.py): the accelerator keeps its state
// across a sequence of DMA transfers, one per line of LIST: "RESET IN_BYTES IN_TLAST OUT_CAPACITY".
// RESET > 0 holds ap_rst_n low for that many cycles first (the software reset); the MM2S side then sends
// IN_BYTES (any whole number of beats, not necessarily whole frames), with TLAST on the last beat when
// IN_TLAST is 1 (0: a transfer the DMA broke off, e.g. on a memory slave error), while the
// S2MM side accepts up to OUT_CAPACITY bytes and completes at the first output TLAST. A transfer ends
// when both sides are done, or when nothing moves for --max-stall cycles; what is left in the
// accelerator stays there for the next transfer, as on the board. IN.bin holds the transfers' input
// bytes one after the other, OUT.bin gets the bytes received; the stats list per transfer the bytes
// sent and received, whether TLAST ended the receive side, and how it ended: "ok" (both sides done),
// "s2mm_full" (OUT_CAPACITY received without TLAST: the DMA's DMAIntErr), "stall" (no progress).
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>
#include <unistd.h>

#include "Vdietsnn_accel.h"
#include "Vdietsnn_accel___024root.h"
#include "verilated.h"

// ---- byte <-> signal of any width (Verilator uses C/S/I/QData up to 64 bits, VlWide above)
template <typename T> static void set_bytes(T& sig, const uint8_t* src, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | src[i];
    sig = static_cast<T>(v);
}
template <std::size_t W> static void set_bytes(VlWide<W>& sig, const uint8_t* src, int n) {
    for (std::size_t w = 0; w < W; ++w) {
        uint32_t v = 0;
        for (int b = 3; b >= 0; --b) {
            int i = static_cast<int>(w) * 4 + b;
            v = (v << 8) | (i < n ? src[i] : 0);
        }
        sig[w] = v;
    }
}
template <typename T> static void get_bytes(const T& sig, uint8_t* dst, int n) {
    uint64_t v = static_cast<uint64_t>(sig);
    for (int i = 0; i < n; ++i, v >>= 8) dst[i] = static_cast<uint8_t>(v & 0xff);
}
template <std::size_t W> static void get_bytes(const VlWide<W>& sig, uint8_t* dst, int n) {
    for (int i = 0; i < n; ++i) dst[i] = static_cast<uint8_t>((sig[i / 4] >> (8 * (i % 4))) & 0xff);
}

// ---- spike counts per (beat of the frame, bit) of a tapped stream, summed over frames
struct Tap {
    int width, beats;
    int beat = 0;
    std::vector<uint64_t> counts;
    Tap(int w, int b) : width(w), beats(b), counts(static_cast<std::size_t>(w) * b, 0) {}
    void add_word(uint64_t v, int base) {
        while (v) {
            int b = __builtin_ctzll(v);
            counts[static_cast<std::size_t>(beat) * width + base + b]++;
            v &= v - 1;
        }
    }
    template <typename T> void add(const T& sig) {
        add_word(static_cast<uint64_t>(sig), 0);
        next();
    }
    template <std::size_t W> void add(const VlWide<W>& sig) {
        for (std::size_t w = 0; w < W; ++w) add_word(sig[w], static_cast<int>(w) * 32);
        next();
    }
    void next() { beat = (beat + 1 == beats) ? 0 : beat + 1; }
};

#include "taps.h"  // DIETSNN_TAP_DECLS: std::vector<Tap> make_taps(); void sample_taps(root*, taps&)

static void die(int code, const char* msg) {
    std::fprintf(stderr, "dietsnn_sim: %s\n", msg);
    std::exit(code);
}

struct Transfer {
    long reset, in_bytes, in_tlast, out_capacity;  // from the list
    long sent = 0, received = 0;         // what happened
    bool tlast = false;
    const char* status = "";
    uint64_t cycles = 0;
};

// Transfer mode: see the header. Returns the exit status.
static int run_transfers(Vdietsnn_accel* top, std::vector<Tap>& taps, const std::vector<uint8_t>& in,
                         std::vector<Transfer>& list, std::vector<uint8_t>& out, long max_stall, double p_idle,
                         double p_bp, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    const int in_beat_bytes = AXIS_IN_WIDTH / 8, out_beat_bytes = AXIS_OUT_WIDTH / 8;
    auto tick = [&]() {
        top->ap_clk = 0;
        top->eval();
        sample_taps(top->rootp, taps);
        top->ap_clk = 1;
        top->eval();
    };
    std::vector<uint8_t> beat(static_cast<std::size_t>(out_beat_bytes));
    std::size_t in_pos = 0;
    for (auto& t : list) {
        if (t.reset > 0) {
            top->ap_rst_n = 0;
            top->s_axis_0_tvalid = 0;
            top->m_axis_0_tready = 0;
            for (long i = 0; i < t.reset; ++i) tick();
            top->ap_rst_n = 1;
        }
        const long in_beats = t.in_bytes / in_beat_bytes, out_beats = t.out_capacity / out_beat_bytes;
        long in_beat = 0, out_beat = 0;
        bool presenting = false, s2mm_done = out_beats == 0;
        uint64_t cycle = 0, last_progress = 0;
        while (!(in_beat == in_beats && s2mm_done)) {
            if (!presenting && in_beat < in_beats && !(p_idle > 0 && uni(rng) < p_idle)) presenting = true;
            top->s_axis_0_tvalid = presenting;
            if (presenting) {
                set_bytes(top->s_axis_0_tdata, &in[in_pos + static_cast<std::size_t>(in_beat) * in_beat_bytes],
                          in_beat_bytes);
                top->s_axis_0_tlast = t.in_tlast && in_beat == in_beats - 1;
            }
            top->m_axis_0_tready = !s2mm_done && !(p_bp > 0 && uni(rng) < p_bp);
            top->ap_clk = 0;
            top->eval();
            bool in_fire = top->s_axis_0_tvalid && top->s_axis_0_tready;
            bool out_fire = top->m_axis_0_tvalid && top->m_axis_0_tready;
            if (out_fire) {
                get_bytes(top->m_axis_0_tdata, beat.data(), out_beat_bytes);
                out.insert(out.end(), beat.begin(), beat.end());
                ++out_beat;
                if (top->m_axis_0_tlast) {
                    t.tlast = true;
                    s2mm_done = true;
                } else if (out_beat == out_beats) {
                    s2mm_done = true;  // the buffer is full without TLAST: DMAIntErr, the channel halts
                }
            }
            sample_taps(top->rootp, taps);
            top->ap_clk = 1;
            top->eval();
            if (in_fire) { ++in_beat; presenting = false; }
            if (in_fire || out_fire) last_progress = cycle;
            ++cycle;
            if (cycle - last_progress > static_cast<uint64_t>(max_stall)) break;
        }
        top->s_axis_0_tvalid = 0;
        top->m_axis_0_tready = 0;
        t.sent = in_beat * in_beat_bytes;
        t.received = out_beat * out_beat_bytes;
        t.cycles = cycle;
        bool full = out_beats > 0 && out_beat == out_beats && !t.tlast;
        t.status = (in_beat == in_beats && s2mm_done) ? (full ? "s2mm_full" : "ok") : (full ? "s2mm_full" : "stall");
        in_pos += static_cast<std::size_t>(t.in_bytes);
    }
    return 0;
}

int main(int argc, char** argv) {
    std::string in_path, out_path, stats_path, taps_path, mem_dir, transfers_path, preload_path;
    long frames = -1, batch = 0, max_stall = 2000000;
    double p_idle = 0.0, p_bp = 0.0;
    unsigned seed = 1;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) die(1, ("missing value after " + a).c_str());
            return argv[++i];
        };
        if (a == "--in") in_path = val();
        else if (a == "--out") out_path = val();
        else if (a == "--frames") frames = std::atol(val().c_str());
        else if (a == "--batch") batch = std::atol(val().c_str());
        else if (a == "--idle") p_idle = std::atof(val().c_str());
        else if (a == "--backpressure") p_bp = std::atof(val().c_str());
        else if (a == "--seed") seed = static_cast<unsigned>(std::atol(val().c_str()));
        else if (a == "--stats") stats_path = val();
        else if (a == "--taps") taps_path = val();
        else if (a == "--mem-dir") mem_dir = val();
        else if (a == "--max-stall") max_stall = std::atol(val().c_str());
        else if (a == "--transfers") transfers_path = val();
        else if (a == "--preload") preload_path = val();
        else die(1, ("unknown argument " + a).c_str());
    }
    if (!transfers_path.empty()) {
        if (in_path.empty() || out_path.empty()) die(1, "need --in FILE --out FILE --transfers LIST");
        std::vector<Transfer> list;
        long total = 0;
        {
            FILE* f = std::fopen(transfers_path.c_str(), "r");
            if (!f) die(1, ("cannot read " + transfers_path).c_str());
            long r, n_in, last, n_out;
            while (std::fscanf(f, "%ld %ld %ld %ld", &r, &n_in, &last, &n_out) == 4) {
                if (r < 0 || n_in < 0 || n_out < 0 || n_in % (AXIS_IN_WIDTH / 8) || n_out % (AXIS_OUT_WIDTH / 8)) {
                    std::fclose(f);
                    die(1, (transfers_path + ": a transfer needs RESET >= 0 and whole beats of input and output").c_str());
                }
                Transfer t;
                t.reset = r; t.in_bytes = n_in; t.in_tlast = last; t.out_capacity = n_out;
                list.push_back(t);
                total += n_in;
            }
            std::fclose(f);
        }
        std::vector<uint8_t> in(static_cast<std::size_t>(total));
        FILE* f = std::fopen(in_path.c_str(), "rb");
        if (!f) die(1, ("cannot read " + in_path).c_str());
        std::size_t got = std::fread(in.data(), 1, in.size(), f);
        int extra = std::fgetc(f);
        std::fclose(f);
        if (got != in.size() || extra != EOF) die(1, (in_path + ": not the transfers' input bytes").c_str());
        if (!mem_dir.empty() && chdir(mem_dir.c_str()) != 0) die(1, ("cannot enter " + mem_dir).c_str());
        auto ctx = std::make_unique<VerilatedContext>();
        auto top = std::make_unique<Vdietsnn_accel>(ctx.get());
        auto taps = make_taps();
        std::mt19937_64 rng(seed);
        top->ap_rst_n = 0;
        top->s_axis_0_tvalid = 0;
        top->m_axis_0_tready = 0;
        for (int i = 0; i < 8; ++i) {
            top->ap_clk = 0; top->eval();
            top->ap_clk = 1; top->eval();
        }
        top->ap_rst_n = 1;
        std::vector<uint8_t> out;
        run_transfers(top.get(), taps, in, list, out, max_stall, p_idle, p_bp, rng);
        top->final();
        FILE* o = std::fopen(out_path.c_str(), "wb");
        if (!o || std::fwrite(out.data(), 1, out.size(), o) != out.size()) die(1, ("cannot write " + out_path).c_str());
        std::fclose(o);
        if (!stats_path.empty()) {
            FILE* st = std::fopen(stats_path.c_str(), "w");
            if (!st) die(1, ("cannot write " + stats_path).c_str());
            std::fprintf(st, "{\"transfers\": [");
            for (std::size_t i = 0; i < list.size(); ++i) {
                const Transfer& t = list[i];
                std::fprintf(st, "%s{\"sent\": %ld, \"received\": %ld, \"tlast\": %s, \"status\": \"%s\", "
                             "\"cycles\": %" PRIu64 "}", i ? ", " : "", t.sent, t.received, t.tlast ? "true" : "false",
                             t.status, t.cycles);
            }
            std::fprintf(st, "]}\n");
            std::fclose(st);
        }
        if (!taps_path.empty()) {
            FILE* t = std::fopen(taps_path.c_str(), "wb");
            if (!t) die(1, ("cannot write " + taps_path).c_str());
            for (auto& tap : taps) std::fwrite(tap.counts.data(), sizeof(uint64_t), tap.counts.size(), t);
            std::fclose(t);
        }
        return 0;
    }
    if (in_path.empty() || out_path.empty() || frames < 0) die(1, "need --in FILE --out FILE --frames N");
    if (batch <= 0) batch = frames > 0 ? frames : 1;

    const int in_beat_bytes = AXIS_IN_WIDTH / 8, out_beat_bytes = AXIS_OUT_WIDTH / 8;
    const long in_frame_bytes = static_cast<long>(IN_BEATS) * in_beat_bytes;
    const long out_frame_bytes = static_cast<long>(OUT_BEATS) * out_beat_bytes;
    std::vector<uint8_t> in(static_cast<std::size_t>(frames * in_frame_bytes));
    {
        FILE* f = std::fopen(in_path.c_str(), "rb");
        if (!f) die(1, ("cannot read " + in_path).c_str());
        std::size_t got = std::fread(in.data(), 1, in.size(), f);
        int extra = std::fgetc(f);
        std::fclose(f);
        if (got != in.size() || extra != EOF) {
            char m[256];
            std::snprintf(m, sizeof m, "%s: expected exactly %zu bytes (%ld frames of %ld), found %s%zu",
                          in_path.c_str(), in.size(), frames, in_frame_bytes, extra != EOF ? "more than " : "", got);
            die(1, m);
        }
    }
    if (!mem_dir.empty() && chdir(mem_dir.c_str()) != 0) die(1, ("cannot enter " + mem_dir).c_str());

    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<Vdietsnn_accel>(ctx.get());
    auto taps = make_taps();
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> uni(0.0, 1.0);

    std::vector<uint8_t> out(static_cast<std::size_t>(frames * out_frame_bytes));
    std::vector<uint64_t> frame_done(static_cast<std::size_t>(frames), 0);
    std::vector<uint64_t> frame_start(static_cast<std::size_t>(frames), 0);
    const long in_beats_total = frames * IN_BEATS, out_beats_total = frames * OUT_BEATS;
    long in_beat = 0, out_beat = 0;
    bool presenting = false;
    uint64_t cycle = 0, last_progress = 0;

    top->ap_rst_n = 0;
    top->s_axis_0_tvalid = 0;
    top->m_axis_0_tready = 0;
    for (int i = 0; i < 8; ++i) {
        top->ap_clk = 0; top->eval();
        top->ap_clk = 1; top->eval();
    }
    top->ap_rst_n = 1;

    uint64_t load_cycles = 0;
    if (!preload_path.empty()) {  // the weight load: one transfer with TLAST, before any frame
        std::vector<uint8_t> pre;
        FILE* pf = std::fopen(preload_path.c_str(), "rb");
        if (!pf) die(1, ("cannot read " + preload_path).c_str());
        for (int c; (c = std::fgetc(pf)) != EOF;) pre.push_back(static_cast<uint8_t>(c));
        std::fclose(pf);
        if (pre.empty() || pre.size() % static_cast<std::size_t>(in_beat_bytes))
            die(1, (preload_path + ": not a positive whole number of input beats").c_str());
        const long beats = static_cast<long>(pre.size()) / in_beat_bytes;
        long pb = 0;
        bool pres = false;
        uint64_t progress = 0;
        while (pb < beats) {
            if (!pres && !(p_idle > 0 && uni(rng) < p_idle)) pres = true;
            top->s_axis_0_tvalid = pres;
            if (pres) {
                set_bytes(top->s_axis_0_tdata, &pre[static_cast<std::size_t>(pb) * in_beat_bytes], in_beat_bytes);
                top->s_axis_0_tlast = pb == beats - 1;
            }
            top->m_axis_0_tready = 1;
            top->ap_clk = 0;
            top->eval();
            bool fire = top->s_axis_0_tvalid && top->s_axis_0_tready;
            if (top->m_axis_0_tvalid) die(3, "an output beat during the weight load");
            top->ap_clk = 1;
            top->eval();
            if (fire) { ++pb; pres = false; progress = load_cycles; }
            ++load_cycles;
            if (load_cycles - progress > static_cast<uint64_t>(max_stall)) {
                char m[200];
                std::snprintf(m, sizeof m, "the weight load stalled at beat %ld of %ld for %ld cycles", pb, beats,
                              max_stall);
                die(4, m);
            }
        }
        top->s_axis_0_tvalid = 0;
        top->s_axis_0_tlast = 0;
    }

    while (out_beat < out_beats_total) {
        // drive: a presented beat stays until accepted (AXI-Stream); gaps only between beats
        if (!presenting && in_beat < in_beats_total && !(p_idle > 0 && uni(rng) < p_idle)) presenting = true;
        top->s_axis_0_tvalid = presenting;
        if (presenting) {
            set_bytes(top->s_axis_0_tdata, &in[static_cast<std::size_t>(in_beat) * in_beat_bytes], in_beat_bytes);
            long frame = in_beat / IN_BEATS;
            bool batch_last = (in_beat % IN_BEATS == IN_BEATS - 1) && ((frame + 1) % batch == 0 || frame + 1 == frames);
            top->s_axis_0_tlast = batch_last;
        }
        top->m_axis_0_tready = !(p_bp > 0 && uni(rng) < p_bp);
        top->ap_clk = 0;
        top->eval();
        // sample the handshakes of this cycle before the rising edge
        bool in_fire = top->s_axis_0_tvalid && top->s_axis_0_tready;
        bool out_fire = top->m_axis_0_tvalid && top->m_axis_0_tready;
        if (out_fire) {
            get_bytes(top->m_axis_0_tdata, &out[static_cast<std::size_t>(out_beat) * out_beat_bytes], out_beat_bytes);
            long frame = out_beat / OUT_BEATS;
            bool frame_last = out_beat % OUT_BEATS == OUT_BEATS - 1;
            bool want_last = frame_last && ((frame + 1) % batch == 0 || frame + 1 == frames);
            if (static_cast<bool>(top->m_axis_0_tlast) != want_last) {
                char m[200];
                std::snprintf(m, sizeof m, "output TLAST is %d on beat %ld of frame %ld; expected %d (batches of %ld)",
                              static_cast<int>(top->m_axis_0_tlast), out_beat % OUT_BEATS, frame, want_last, batch);
                die(3, m);
            }
            if (frame_last) frame_done[static_cast<std::size_t>(frame)] = cycle;
        }
        if (in_fire && in_beat % IN_BEATS == 0) frame_start[static_cast<std::size_t>(in_beat / IN_BEATS)] = cycle;
        sample_taps(top->rootp, taps);
        top->ap_clk = 1;
        top->eval();
        if (in_fire) { ++in_beat; presenting = false; }
        if (out_fire) ++out_beat;
        if (in_fire || out_fire) last_progress = cycle;
        ++cycle;
        if (cycle - last_progress > static_cast<uint64_t>(max_stall)) {
            char m[200];
            std::snprintf(m, sizeof m, "no stream progress for %ld cycles (input beat %ld of %ld, output beat %ld of %ld)",
                          max_stall, in_beat, in_beats_total, out_beat, out_beats_total);
            die(4, m);
        }
    }
    top->final();

    FILE* f = std::fopen(out_path.c_str(), "wb");
    if (!f || std::fwrite(out.data(), 1, out.size(), f) != out.size()) die(1, ("cannot write " + out_path).c_str());
    std::fclose(f);
    if (!stats_path.empty()) {
        FILE* s = std::fopen(stats_path.c_str(), "w");
        if (!s) die(1, ("cannot write " + stats_path).c_str());
        std::fprintf(s, "{\"cycles\": %" PRIu64 ", \"load_cycles\": %" PRIu64 ", \"frames\": %ld, \"frame_start\": [",
                     cycle, load_cycles, frames);
        for (long i = 0; i < frames; ++i) std::fprintf(s, "%s%" PRIu64, i ? ", " : "", frame_start[i]);
        std::fprintf(s, "], \"frame_done\": [");
        for (long i = 0; i < frames; ++i) std::fprintf(s, "%s%" PRIu64, i ? ", " : "", frame_done[i]);
        std::fprintf(s, "]}\n");
        std::fclose(s);
    }
    if (!taps_path.empty()) {
        FILE* t = std::fopen(taps_path.c_str(), "wb");
        if (!t) die(1, ("cannot write " + taps_path).c_str());
        for (auto& tap : taps) std::fwrite(tap.counts.data(), sizeof(uint64_t), tap.counts.size(), t);
        std::fclose(t);
    }
    return 0;
}
